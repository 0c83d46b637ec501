"""Bearer access tokens: check a JWT's signature and claims, return its claims.

https://www.rfc-editor.org/rfc/rfc7519 (JWT), rfc7515 (JWS), rfc6750 (Bearer), rfc8725 (JWT BCP);
SMART App Launch: https://hl7.org/fhir/smart-app-launch/ (the issuer signs; we only verify).

The JOSE library, compared (issue 13 asks which and why):
- joserfc (chosen): Authlib's author's successor to `authlib.jose`, typed (py.typed, strict-clean),
  JWK Set import with `kid` lookup, per-call `algorithms` allow-list; RS256/ES256 through
  `cryptography`'s wheels, no network. Small and only JOSE.
- Authlib: same author, `authlib.jose` now points users to joserfc; drags in the OAuth client
  and server framework we do not need. PyJWT: maintained, typed, ES256 with `cryptography`, but
  its `PyJWKClient` does blocking urllib fetches — we want httpx, async, with our own cache.

Rules (RFC 8725 §3.1: the verifier, not the token, picks the algorithm): only RS256 and ES256,
and the key must fit the header's `alg` (gateway.auth.keys); `none`, HS* and PS* never reach the
library. `iss` equal; `aud` equal or containing ours; `exp` required; `exp`/`nbf`/`iat` checked
with `clock_skew` seconds of leeway (joserfc's JWTClaimsRegistry: a token with `exp` <= now -
skew is expired; `nbf`/`iat` > now + skew is refused). Every failure is one `Unauthorized`
whose description never quotes the token; nothing here logs a token.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)

from gateway.auth.keys import KeySet
from gateway.auth.unauthorized import Unauthorized

__all__ = ["ALGORITHMS", "TokenVerifier", "Unauthorized"]

ALGORITHMS = frozenset({"RS256", "ES256"})
MAX_TOKEN_CHARS = 16_384  # well past any access token; refuses work on absurd headers
# RFC 6750 §2.1: b64token; a JWS Compact Serialization is three base64url segments.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_CLAIM_PROBLEMS = {
    "iss": "The token was not issued by this server's issuer.",
    "aud": "The token is not meant for this server (audience).",
    "nbf": "The token is not valid yet.",
    "iat": "The token was issued in the future.",
    "exp": "The token's expiry is not a valid time.",
}


class TokenVerifier:
    """Checks `Authorization` header values against one issuer, audience and key set."""

    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        audience: str,
        clock_skew: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._claims = jwt.JWTClaimsRegistry(
            now=lambda: int(clock()),
            leeway=clock_skew,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
        )

    async def verify(self, authorization: str | None) -> dict[str, Any]:
        """The claims of the bearer token in `authorization` (the header value, or None).

        Raises `Unauthorized`: bare challenge without a bearer token, `invalid_token` otherwise.
        """
        token = bearer_token(authorization)
        header = _unverified_header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise Unauthorized("The token's algorithm is not accepted (RS256 or ES256 only).")
        if kid is not None and not isinstance(kid, str):
            raise Unauthorized("The token's `kid` is not a string.")
        key = await self._keys.key_for(kid, alg)
        try:
            claims = jwt.decode(token, key, algorithms=[alg]).claims
        except BadSignatureError as error:
            raise Unauthorized("The token's signature does not verify.") from error
        except JoseError as error:
            raise Unauthorized("The token is not a well-formed signed JWT.") from error
        self._check(claims)
        return claims

    def _check(self, claims: dict[str, Any]) -> None:
        try:
            self._claims.validate(claims)
        except ExpiredTokenError as error:
            raise Unauthorized("The token has expired.") from error
        except MissingClaimError as error:
            raise Unauthorized(f"The token lacks required claims ({error.claim}).") from error
        except ClaimError as error:
            text = _CLAIM_PROBLEMS.get(error.claim, f"The token's `{error.claim}` is invalid.")
            raise Unauthorized(text) from error


def bearer_token(authorization: str | None) -> str:
    """The token of a `Bearer` header (scheme case-insensitive, RFC 7235 §2.1), shape-checked."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized.missing()  # RFC 6750 §3.1: no credentials we know, no error code
    token = token.strip()
    if not token:
        raise Unauthorized("The Authorization header has no token after `Bearer`.")
    if len(token) > MAX_TOKEN_CHARS or not _COMPACT_JWS.fullmatch(token):
        raise Unauthorized("The bearer token is not a JWT (three base64url parts).")
    return token


def _unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read only to choose the key; nothing in it is trusted yet."""
    try:
        return dict(jws.extract_compact(token.encode("ascii")).headers())
    except (JoseError, ValueError, TypeError) as error:
        raise Unauthorized("The token is not a well-formed signed JWT.") from error
