"""The issuer's public keys: a JSON Web Key Set from a file or a URL, cached, refreshed on need.

https://www.rfc-editor.org/rfc/rfc7517#section-5 (JWK Set) and SMART App Launch
(https://hl7.org/fhir/smart-app-launch/backend-services.html): issuers rotate keys by publishing
the new one under a new `kid`, so a token naming a `kid` we do not hold triggers one reload of
the set — at most once per `min_refresh_seconds`, so a flood of made-up `kid`s cannot turn the
gateway into a fetch loop against the issuer.

A key is only handed out for an algorithm it fits: RS256 needs `kty` RSA, ES256 needs `kty` EC
on P-256, and a key that declares its own `alg` (or a `use` other than `sig`) must agree. That
stops a token from choosing how a key is used (RFC 8725 §3.1, §2.1: the algorithm confusion).

Failures: a JWKS *file* that does not parse is a start-up error (`InvalidKeySet`, raised by
`from_file` / `from_settings`) — an operator typo should stop the gateway, not turn every request
into a 401. A URL is fetched lazily (no network at start-up) with a timeout; when it cannot be
fetched or parsed, the request gets a 401 and the reason is logged (never the token). A reload
that fails keeps the keys we had.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from joserfc import jwk
from joserfc.errors import JoseError

from gateway.auth.unauthorized import Unauthorized
from gateway.settings import Settings

log = logging.getLogger(__name__)

JwksLoader = Callable[[], Awaitable[Any]]
# JWS algorithm -> what the key must be (RFC 7518 §3.3, §3.4).
# RS384/ES384: Backend Services client assertions (gateway.auth.assertions); bearer tokens stay
# RS256/ES256 (gateway.auth.tokens refuses other algorithms before asking for a key).
_KEY_TYPES: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "RS384": ("RSA", None),
    "ES384": ("EC", "P-384"),
}
FETCH_TIMEOUT_SECONDS = 5.0
_UNAVAILABLE = "The issuer's keys are unavailable; try again later."


class InvalidKeySet(ValueError):
    """The configured JWKS cannot be read as a key set: stop at start-up."""


def parse_key_set(document: Any) -> jwk.KeySet:
    """A JWKS JSON document -> keys; raises `InvalidKeySet` when it is not one."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise InvalidKeySet('A JWKS is a JSON object with a "keys" array.')
    try:
        return jwk.KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidKeySet(f"The JWKS holds a key that cannot be read: {error}.") from error


def _fits(key: jwk.Key, alg: str) -> bool:
    kty, crv = _KEY_TYPES[alg]
    params = key.dict_value
    return (
        key.key_type == kty
        and (crv is None or params.get("crv") == crv)
        and params.get("alg", alg) == alg
        and params.get("use", "sig") == "sig"
    )


class KeySet:
    """The verification keys, loaded by `load` and reloaded when a token names an unknown `kid`."""

    def __init__(
        self,
        load: JwksLoader,
        *,
        keys: jwk.KeySet | None = None,
        min_refresh_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._keys = keys
        self._loaded_at = clock() if keys is not None else None
        self._min_refresh = min_refresh_seconds
        self._clock = clock
        self._lock = asyncio.Lock()

    @classmethod
    def from_file(
        cls,
        path: Path,
        *,
        min_refresh_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> KeySet:
        """Read and parse `path` now (a bad file stops the start); reload it on an unknown `kid`."""

        def read() -> Any:
            try:
                return orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as error:
                raise InvalidKeySet(f"AUTH_JWKS_FILE `{path}` cannot be read: {error}.") from error

        async def load() -> Any:
            return await asyncio.to_thread(read)

        keys = parse_key_set(read())
        return cls(load, keys=keys, min_refresh_seconds=min_refresh_seconds, clock=clock)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = FETCH_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        min_refresh_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> KeySet:
        """Fetch `url` on first use and on an unknown `kid`; `transport` lets tests answer."""

        async def load() -> Any:
            async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                return orjson.loads(response.content)

        return cls(load, min_refresh_seconds=min_refresh_seconds, clock=clock)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeySet | None:
        """The configured key set: `AUTH_JWKS_FILE` first, then `AUTH_JWKS_URL`; None without."""
        if settings.auth_jwks_file is not None:
            return cls.from_file(settings.auth_jwks_file)
        if settings.auth_jwks_url:
            return cls.from_url(settings.auth_jwks_url)
        return None

    async def key_for(self, kid: str | None, alg: str) -> jwk.Key:
        """The key to check a token signed with `alg` (RS256 or ES256) under `kid`.

        Without a `kid`, the one key of the set that fits `alg`. Raises `Unauthorized` when no
        key fits, after at most one reload of the set.
        """
        if alg not in _KEY_TYPES:
            raise Unauthorized("The token's algorithm is not accepted (RS256 or ES256 only).")
        key = self._find(kid, alg)
        if key is None:
            await self._reload()
            key = self._find(kid, alg)
        if key is None:
            raise Unauthorized("No key of the issuer matches the token's `kid` and algorithm.")
        return key

    def _find(self, kid: str | None, alg: str) -> jwk.Key | None:
        named = [k for k in self._keys or () if kid is None or k.kid == kid]
        fitting = [k for k in named if _fits(k, alg)]
        if kid is None and len(fitting) != 1:
            return None  # without a kid only an unambiguous key will do
        return fitting[0] if fitting else None

    async def _reload(self) -> None:
        """Load the set again unless that was tried within `min_refresh_seconds`.

        The lock makes concurrent misses wait for one load and then look again.
        """
        async with self._lock:
            now = self._clock()
            if self._loaded_at is not None and now - self._loaded_at < self._min_refresh:
                if self._keys is None:
                    raise Unauthorized(_UNAVAILABLE)
                return
            self._loaded_at = now
            try:
                self._keys = parse_key_set(await self._load())
            except (
                InvalidKeySet,
                httpx.HTTPError,
                httpx.InvalidURL,
                orjson.JSONDecodeError,
            ) as error:
                log.warning("The issuer's key set could not be loaded: %s", error)
                if self._keys is None:
                    raise Unauthorized(_UNAVAILABLE) from error
