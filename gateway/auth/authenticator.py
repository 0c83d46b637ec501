"""From an `Authorization` header to a `Grant`: the one authentication step of every request.

AUTH_MODE=off: every request acts with GRANT_ALL (the gateway warns at start). AUTH_MODE=smart:
the bearer token must verify against a trusted issuer (gateway.auth.tokens), and its claims
become the grant (gateway.auth.grant.grant_from_claims). Raises `Unauthorized` (401).

Two issuers can be trusted side by side (issue 13: "tokens from an external provider work
alongside"): the external provider (AUTH_ISSUER with AUTH_JWKS_URL or AUTH_JWKS_FILE) and the
gateway itself (its token endpoint, AUTH_SIGNING_KEY_FILE; gateway.auth.backend_services). The
token's `iss`, read before verification, only picks which verifier checks it; that verifier then
requires the same `iss`, so a forged `iss` gains nothing. Verified grants are cached until the
token expires (gateway.auth.token_cache).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from joserfc import jws
from joserfc.errors import JoseError

from gateway.auth.backend_services import TokenMinter
from gateway.auth.grant import GRANT_ALL, Grant, grant_from_claims
from gateway.auth.keys import KeySet, parse_key_set
from gateway.auth.token_cache import TokenCache
from gateway.auth.tokens import TokenVerifier, bearer_token
from gateway.auth.unauthorized import Unauthorized
from gateway.settings import Settings


class Authenticator:
    """Turns `Authorization` header values into grants; one per application.

    `verifiers`: None for AUTH_MODE=off; a verifier by the issuer it trusts; or one verifier
    checking every token (its own `iss` rule still applies).
    """

    def __init__(
        self,
        verifiers: Mapping[str, TokenVerifier] | TokenVerifier | None,
        *,
        cache: TokenCache | None = None,
    ) -> None:
        self._verifiers = verifiers
        self._cache = cache if cache is not None else TokenCache()  # an empty cache is falsy

    @property
    def enforcing(self) -> bool:
        return self._verifiers is not None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> Authenticator:
        """The authenticator the settings describe (checked first by auth_problems)."""
        if settings.effective_auth_mode == "off":
            return cls(None)
        audience, skew = settings.auth_audience, settings.auth_clock_skew_seconds
        if not audience:
            raise ValueError("AUTH_MODE=smart needs AUTH_AUDIENCE")
        verifiers: dict[str, TokenVerifier] = {}
        if settings.auth_issuer:
            keys = KeySet.from_settings(settings)
            if keys is None:
                raise ValueError("AUTH_ISSUER needs AUTH_JWKS_URL or AUTH_JWKS_FILE")
            verifiers[settings.auth_issuer] = TokenVerifier(
                keys, issuer=settings.auth_issuer, audience=audience, clock_skew=skew, clock=clock
            )
        minter = TokenMinter.from_settings(settings)
        if minter is not None:
            if minter.issuer in verifiers:
                raise ValueError("The gateway's token issuer must differ from AUTH_ISSUER")
            verifiers[minter.issuer] = TokenVerifier(
                _static(minter.key.public_jwks()),
                issuer=minter.issuer,
                audience=audience,
                clock_skew=skew,
                clock=clock,
            )
        if not verifiers:
            raise ValueError("AUTH_MODE=smart needs AUTH_ISSUER with keys, or a signing key")
        return cls(verifiers, cache=TokenCache(clock_skew=skew, clock=clock))

    async def grant_for(self, authorization: str | None) -> Grant:
        """The grant of the request's `Authorization` header value; 401 when not acceptable."""
        if self._verifiers is None:
            return GRANT_ALL
        grant = self._cached(authorization)
        if grant is not None:
            return grant
        token = bearer_token(authorization)
        claims = await self._verifier_for(token).verify(authorization)
        grant = grant_from_claims(claims)
        self._cache.put(token, float(claims["exp"]), grant)  # exp: required and numeric
        return grant

    def _cached(self, authorization: str | None) -> Grant | None:
        """The cached grant, looked up before `bearer_token`'s shape check (a regex over the
        whole token, ~3 µs): a string in the cache passed that check when it was verified."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        return self._cache.get(token.strip()) if scheme.lower() == "bearer" else None

    def _verifier_for(self, token: str) -> TokenVerifier:
        if isinstance(self._verifiers, TokenVerifier):
            return self._verifiers
        issuer = _unverified_issuer(token)
        verifier = (self._verifiers or {}).get(issuer) if isinstance(issuer, str) else None
        if verifier is None:
            raise Unauthorized("The token was not issued by an issuer this server trusts.")
        return verifier


def _unverified_issuer(token: str) -> Any:
    """The token's `iss`, read only to pick a verifier, which then checks it for real."""
    try:
        claims = orjson.loads(jws.extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError, TypeError) as error:
        raise Unauthorized("The token is not a well-formed signed JWT.") from error
    return claims.get("iss") if isinstance(claims, dict) else None


def _static(document: dict[str, Any]) -> KeySet:
    """Our own public key: known at start, never fetched."""

    async def same() -> Any:
        return document

    return KeySet(same, keys=parse_key_set(document))
