"""A Backend Services client assertion: who the client is, proven by its private key.

https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html and RFC 7523 §3: a JWT
signed with a key the client registered, `iss` = `sub` = client_id, `aud` = our token endpoint
URL, `exp` at most five minutes ahead, a `jti` the server must not accept twice within the
assertion's lifetime. Algorithms: RS384 and ES384 (which SMART asks clients to support) and
RS256, ES256; `none`, HS* and the rest are refused before any key is chosen (RFC 8725 §3.1).

Every failure is `invalid_client` (SMART: "the server SHALL respond with an invalid_client
error"); the description says what was wrong, never echoing the assertion.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError

from gateway.auth.clients import Client
from gateway.auth.oauth_errors import OAuthError
from gateway.auth.unauthorized import Unauthorized

ASSERTION_ALGORITHMS = ("RS384", "ES384", "RS256", "ES256")
MAX_LIFETIME_SECONDS = 300  # SMART: exp "no more than five minutes in the future"
MAX_ASSERTION_CHARS = 16_384


class ReplayGuard:
    """The `jti`s seen, each kept until its assertion expires; bounded.

    When full of unexpired entries a new assertion is refused (503) rather than forgetting a
    `jti` that could then be replayed: availability gives way before security.
    """

    def __init__(self, *, capacity: int = 100_000) -> None:
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._capacity = capacity

    def remember(self, client_id: str, jti: str, *, expires: float, now: float) -> None:
        """Record `jti` until `expires`; `invalid_client` when it was used already."""
        key = (client_id, jti)
        if key in self._seen and self._seen[key] >= now:
            raise OAuthError("invalid_client", "The assertion's `jti` was used already.")
        self._drop_expired(now)
        if len(self._seen) >= self._capacity:
            raise OAuthError(
                "temporarily_unavailable", "Too many assertions at once; retry.", status=503
            )
        self._seen[key] = expires
        self._seen.move_to_end(key)

    def _drop_expired(self, now: float) -> None:
        # Entries are inserted in time order and each lives at most MAX_LIFETIME_SECONDS plus
        # the skew, so stopping at the oldest one still alive keeps the sweep O(expired); an
        # entry behind it may linger at most that long, and the capacity still bounds the set.
        while self._seen:
            key, expires = next(iter(self._seen.items()))
            if expires >= now:
                return
            del self._seen[key]


class AssertionVerifier:
    """Checks client assertions against the registered clients and our token endpoint URL."""

    def __init__(
        self,
        clients: Mapping[str, Client],
        *,
        token_url: str,
        clock_skew: int = 60,
        clock: Callable[[], float] = time.time,
        replay: ReplayGuard | None = None,
    ) -> None:
        self._clients = clients
        self._token_url = token_url
        self._skew = clock_skew
        self._clock = clock
        self._replay = replay if replay is not None else ReplayGuard()

    async def client_of(self, assertion: str) -> Client:
        """The registered client that signed `assertion`; OAuthError otherwise."""
        if len(assertion) > MAX_ASSERTION_CHARS:
            raise OAuthError("invalid_client", "The client assertion is too long.")
        header, unverified = _unverified(assertion)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ASSERTION_ALGORITHMS:
            raise OAuthError(
                "invalid_client",
                "The assertion's algorithm is not accepted (RS384, ES384, RS256 or ES256).",
            )
        if kid is not None and not isinstance(kid, str):
            raise OAuthError("invalid_client", "The assertion's `kid` is not a string.")
        issuer = unverified.get("iss")
        client = self._clients.get(issuer) if isinstance(issuer, str) else None
        if client is None:
            raise OAuthError("invalid_client", "The assertion's `iss` is not a registered client.")
        claims = await _verified(assertion, client, kid=kid, alg=str(alg))
        self._check(claims, client.client_id)
        return client

    def _check(self, claims: dict[str, Any], client_id: str) -> None:
        now = self._clock()
        if claims.get("sub") != client_id:
            raise OAuthError("invalid_client", "The assertion's `sub` must equal its `iss`.")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._token_url not in audiences:
            raise OAuthError(
                "invalid_client", f"The assertion's `aud` must be `{self._token_url}`."
            )
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise OAuthError("invalid_client", "The assertion has no numeric `exp`.")
        if exp <= now - self._skew:
            raise OAuthError("invalid_client", "The assertion has expired.")
        if exp > now + MAX_LIFETIME_SECONDS + self._skew:
            raise OAuthError(
                "invalid_client", "The assertion's `exp` is more than five minutes ahead."
            )
        for name in ("nbf", "iat"):
            value = claims.get(name)
            if value is not None and (
                not isinstance(value, int | float) or value > now + self._skew
            ):
                raise OAuthError("invalid_client", f"The assertion's `{name}` is in the future.")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise OAuthError("invalid_client", "The assertion has no `jti`.")
        self._replay.remember(client_id, jti, expires=exp + self._skew, now=now)


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, read only to choose the client and key; nothing trusted yet."""
    try:
        compact = jws.extract_compact(assertion.encode("ascii"))
        header, payload = dict(compact.headers()), orjson.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeError) as error:
        raise OAuthError("invalid_client", "The client assertion is not a signed JWT.") from error
    if not isinstance(payload, dict):
        raise OAuthError("invalid_client", "The client assertion's claims are not an object.")
    return header, payload


async def _verified(assertion: str, client: Client, *, kid: str | None, alg: str) -> dict[str, Any]:
    try:
        key = await client.keys.key_for(kid, alg)
    except Unauthorized as error:
        raise OAuthError(
            "invalid_client", "No registered key of the client matches the assertion."
        ) from error
    try:
        return dict(jwt.decode(assertion, key, algorithms=[alg]).claims)
    except BadSignatureError as error:
        raise OAuthError("invalid_client", "The assertion's signature does not verify.") from error
    except JoseError as error:
        raise OAuthError("invalid_client", "The client assertion is not a signed JWT.") from error
