"""SMART Backend Services: a registered client trades a signed assertion for an access token.

https://hl7.org/fhir/smart-app-launch/backend-services.html, RFC 6749 §4.4 (client_credentials),
RFC 7523 §2.2 (JWT client authentication). The request is a form: `grant_type=client_credentials`,
`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`,
`client_assertion` (gateway.auth.assertions) and `scope`. The answer: a JWT access token signed
with the gateway's key (gateway.auth.signing), `{"access_token", "token_type": "bearer",
"expires_in", "scope"}`, the scope being what was asked for within the client's registration
(gateway.auth.clients.granted_scopes).

Where the URLs come from: the tokens' issuer is `AUTH_TOKEN_ISSUER`, else `{AUTH_AUDIENCE}/auth`,
and the endpoints are under `FHIR_BASE_URL` (else AUTH_AUDIENCE): settings, never the request's
Host header, which a client chooses and could use to make us sign for another issuer.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.auth.assertions import AssertionVerifier
from gateway.auth.clients import Client, granted_scopes, load_clients
from gateway.auth.oauth_errors import OAuthError
from gateway.auth.signing import SigningKey
from gateway.settings import Settings

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PATH = "/auth/token"
JWKS_PATH = "/auth/jwks"
_SINGLE = ("grant_type", "client_assertion_type", "client_assertion", "scope", "client_id")


def own_issuer(settings: Settings) -> str | None:
    """The `iss` of the tokens the gateway signs: AUTH_TOKEN_ISSUER or `{AUTH_AUDIENCE}/auth`."""
    if settings.auth_token_issuer:
        return settings.auth_token_issuer
    return f"{settings.auth_audience.rstrip('/')}/auth" if settings.auth_audience else None


def public_base(settings: Settings) -> str | None:
    """The FHIR base as clients reach it, from settings alone (FHIR_BASE_URL, AUTH_AUDIENCE)."""
    base = settings.fhir_base_url or settings.auth_audience
    return base.rstrip("/") if base else None


@dataclass(frozen=True, slots=True)
class TokenMinter:
    """Signs access tokens for one issuer and audience."""

    key: SigningKey
    issuer: str
    audience: str

    def mint(
        self,
        *,
        client_id: str,
        scope: str,
        lifetime: int,
        now: float | None = None,
        patient: str | None = None,
        fhir_user: str | None = None,
    ) -> str:
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client_id,
            "client_id": client_id,
            "scope": scope,
            "iat": issued,
            "exp": issued + lifetime,
            "jti": secrets.token_urlsafe(16),
        }
        if patient:
            claims["patient"] = patient
        if fhir_user:
            claims["fhirUser"] = fhir_user
        return self.key.sign(claims, typ="at+jwt")  # RFC 9068 §2.1: not an ID token

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenMinter | None:
        """None without AUTH_SIGNING_KEY_FILE; the key file is read now (checked at start)."""
        issuer, audience = own_issuer(settings), settings.auth_audience
        if settings.auth_signing_key_file is None or not issuer or not audience:
            return None
        return cls(SigningKey.from_file(settings.auth_signing_key_file), issuer, audience)


class TokenEndpoint:
    """`POST [base]/auth/token`: checks the form and the assertion, answers a token or OAuthError."""

    def __init__(
        self,
        minter: TokenMinter,
        assertions: AssertionVerifier,
        *,
        lifetime: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.minter = minter
        self._assertions = assertions
        self._lifetime = lifetime
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenEndpoint | None:
        """None without a signing key (no endpoint to serve); clients from AUTH_CLIENTS_FILE."""
        minter, base = TokenMinter.from_settings(settings), public_base(settings)
        if minter is None or base is None:
            return None
        clients = load_clients(settings.auth_clients_file) if settings.auth_clients_file else {}
        assertions = AssertionVerifier(
            clients, token_url=base + TOKEN_PATH, clock_skew=settings.auth_clock_skew_seconds
        )
        return cls(minter, assertions, lifetime=settings.auth_token_lifetime_seconds)

    async def exchange(self, form: Mapping[str, list[str]]) -> dict[str, Any]:
        """The token response for a parsed form body (each name -> its values)."""
        fields = _single_fields(form)
        grant_type = fields.get("grant_type")
        if not grant_type:
            raise OAuthError("invalid_request", "`grant_type` is required.")
        if grant_type != "client_credentials":
            raise OAuthError(
                "unsupported_grant_type", "Only `client_credentials` is supported here."
            )
        if fields.get("client_assertion_type") != JWT_BEARER or not fields.get("client_assertion"):
            raise OAuthError(
                "invalid_client",
                f"Authenticate with `client_assertion_type={JWT_BEARER}` and a `client_assertion`.",
            )
        client = await self._assertions.client_of(fields["client_assertion"])
        if fields.get("client_id") not in (None, client.client_id):
            raise OAuthError("invalid_client", "`client_id` differs from the assertion's `iss`.")
        scope = self._granted(client, fields.get("scope", ""))
        token = self.minter.mint(
            client_id=client.client_id, scope=scope, lifetime=self._lifetime, now=self._clock()
        )
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self._lifetime,
            "scope": scope,
        }

    @staticmethod
    def _granted(client: Client, requested: str) -> str:
        if not client.scopes:
            raise OAuthError("unauthorized_client", "The client is registered with no scopes.")
        if not requested.strip():
            raise OAuthError("invalid_scope", "`scope` is required (e.g. `system/*.rs`).")
        granted = granted_scopes(requested, client.scopes)
        if not granted:
            raise OAuthError(
                "invalid_scope", "None of the requested scopes is within the client's registration."
            )
        return " ".join(granted)


def _single_fields(form: Mapping[str, list[str]]) -> dict[str, str]:
    """RFC 6749 §3.2: request parameters must not be sent more than once."""
    for name in _SINGLE:
        if len(form.get(name, ())) > 1:
            raise OAuthError("invalid_request", f"`{name}` is given more than once.")
    return {name: values[0] for name, values in form.items() if values}
