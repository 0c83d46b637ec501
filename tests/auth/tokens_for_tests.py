"""A test identity provider: keys the test generates, tokens it signs, an app that trusts it.

For tests over HTTP with AUTH_MODE=smart (tests/auth/test_edge*.py, the authorization matrix).
Nothing here is the code under test: keys come from joserfc, tokens are signed with joserfc,
and the gateway under test only sees a JWKS file and `Authorization` headers, as it would in
production. Times are real (`time.time()`), because the app's verifier reads the real clock.

    issuer = TestIssuer.shared()                    # one RSA and one EC key, made once
    async with issuer.client(tmp_path) as client:   # api_client on a smart app trusting it
        token = issuer.token(scope="patient/*.rs", patient="p1")
        r = await client.get("/Patient/p1", headers=bearer(token))

The client's base URL is `http://test/fhir` and tokens carry `aud` = AUDIENCE, that base.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from joserfc import jwk, jwt

from gateway.settings import Settings
from tests.conftest import api_client, make_settings

ISSUER = "https://idp.test.example"
AUDIENCE = "http://test/fhir"  # the FHIR base of tests.conftest.api_client
LIFETIME_SECONDS = 300


def bearer(token: str) -> dict[str, str]:
    """The request headers that present `token`."""
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


class TestIssuer:
    """An issuer with an RS256 key (kid `test-rsa`) and an ES256 key (kid `test-ec`)."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self) -> None:
        self.rsa = jwk.RSAKey.generate_key(2048, parameters={"kid": "test-rsa"})
        self.ec = jwk.ECKey.generate_key("P-256", parameters={"kid": "test-ec"})

    @staticmethod
    @functools.cache
    def shared() -> TestIssuer:
        """One issuer per test session: RSA key generation costs ~0.1 s."""
        return TestIssuer()

    def jwks(self) -> dict[str, Any]:
        """The public JWKS, as the issuer publishes it."""
        return {"keys": [key.as_dict(private=False) for key in (self.rsa, self.ec)]}

    def jwks_file(self, directory: Path) -> Path:
        path = directory / "jwks.json"
        path.write_text(json.dumps(self.jwks()), encoding="utf-8")
        return path

    def settings(self, directory: Path, **overrides: Any) -> Settings:
        """Embedded-store settings with AUTH_MODE=smart trusting this issuer; `overrides` win."""
        trusting = {
            "auth_mode": "smart",
            "auth_issuer": ISSUER,
            "auth_audience": AUDIENCE,
            "auth_jwks_file": self.jwks_file(directory),
        }
        return make_settings(**{**trusting, **overrides})

    def client(self, directory: Path, **overrides: Any) -> api_client:
        """`async with issuer.client(tmp_path) as client`: a smart app on an empty store."""
        return api_client(self.settings(directory, **overrides))

    def claims(
        self,
        *,
        scope: str | None = None,
        patient: str | None = None,
        lifetime: int = LIFETIME_SECONDS,
        **extra: Any,
    ) -> dict[str, Any]:
        """Valid claims (iss, aud, sub, iat, exp) with `scope` and `patient`; `extra` adds or
        overrides any claim (`exp=...`, `aud="other"`); a value of None drops that claim."""
        now = int(time.time())
        base: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "test-client",
            "client_id": "test-client",
            "iat": now,
            "exp": now + lifetime,
            "scope": scope,
            "patient": patient,
        }
        return {k: v for k, v in {**base, **extra}.items() if v is not None}

    def token(
        self,
        *,
        scope: str | None = None,
        patient: str | None = None,
        alg: str = "RS256",
        kid: str | None = None,
        **extra: Any,
    ) -> str:
        """A token this issuer signs (RS256 with the RSA key, ES256 with the EC key)."""
        key: jwk.Key = self.rsa if alg == "RS256" else self.ec
        return self.sign(key, alg, self.claims(scope=scope, patient=patient, **extra), kid=kid)

    @staticmethod
    def sign(key: jwk.Key, alg: str, payload: dict[str, Any], *, kid: str | None = None) -> str:
        """`payload` signed with any key (a stranger's too), `kid` defaulting to the key's."""
        header = {"alg": alg, "kid": kid or key.kid}
        return jwt.encode(header, payload, key, algorithms=[alg])

    def unsigned(self, **claims: Any) -> str:
        """RFC 7515 A.5 `alg: none` with an empty signature, assembled by hand as an attacker."""
        payload = self.claims(**claims)
        return f"{_segment({'alg': 'none', 'kid': 'test-rsa'})}.{_segment(payload)}."

    def hs256(self, **claims: Any) -> str:
        """HS256 keyed with the RSA *public* key's PEM: the algorithm-confusion attack."""
        # joserfc refuses to key HMAC with a public key, so the attacker's HMAC is stdlib's.
        signing_input = (
            f"{_segment({'alg': 'HS256', 'kid': 'test-rsa'})}.{_segment(self.claims(**claims))}"
        )
        secret = self.rsa.as_pem(private=False)
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"

    @staticmethod
    def tampered(token: str) -> str:
        """`token` with its payload changed (scope widened) and the signature kept."""
        head, payload, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["scope"] = "system/*.cruds"
        return f"{head}.{_segment(claims)}.{signature}"
