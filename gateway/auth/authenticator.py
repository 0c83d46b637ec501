"""From an `Authorization` header to a `Grant`: the one authentication step of every request.

AUTH_MODE=off: every request acts with GRANT_ALL (the gateway warns at start). AUTH_MODE=smart:
the bearer token must verify against a trusted issuer (gateway.auth.tokens), and its claims
become the grant (gateway.auth.grant.grant_from_claims). Raises `Unauthorized` (401).
"""

from __future__ import annotations

from gateway.auth.grant import GRANT_ALL, Grant, grant_from_claims
from gateway.auth.keys import KeySet
from gateway.auth.tokens import TokenVerifier
from gateway.settings import Settings


class Authenticator:
    """Turns `Authorization` header values into grants; one per application."""

    def __init__(self, verifier: TokenVerifier | None) -> None:
        self._verifier = verifier  # None: AUTH_MODE=off

    @property
    def enforcing(self) -> bool:
        return self._verifier is not None

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        """The authenticator the settings describe (checked first by auth_problems)."""
        if settings.effective_auth_mode == "off":
            return cls(None)
        keys = KeySet.from_settings(settings)
        if keys is None or not settings.auth_issuer or not settings.auth_audience:
            raise ValueError("AUTH_MODE=smart needs AUTH_ISSUER, AUTH_AUDIENCE and keys")
        verifier = TokenVerifier(
            keys,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            clock_skew=settings.auth_clock_skew_seconds,
        )
        return cls(verifier)

    async def grant_for(self, authorization: str | None) -> Grant:
        """The grant of the request's `Authorization` header value; 401 when not acceptable."""
        if self._verifier is None:
            return GRANT_ALL
        return grant_from_claims(await self._verifier.verify(authorization))
