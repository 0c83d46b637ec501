"""Keys, JWKS documents and signed tokens for the auth tests, all made with the library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
from joserfc import jwk, jwt

NOW = 1_800_000_000
ISSUER = "https://idp.example.org"
AUDIENCE = "https://fhir.example.org/fhir"


def rsa(kid: str = "rsa-1") -> jwk.RSAKey:
    return jwk.RSAKey.generate_key(2048, parameters={"kid": kid})


def ec(kid: str = "ec-1") -> jwk.ECKey:
    return jwk.ECKey.generate_key("P-256", parameters={"kid": kid})


def jwks(*keys: jwk.Key) -> dict[str, Any]:
    """The public JWKS an issuer publishes."""
    return {"keys": [key.as_dict(private=False) for key in keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "client-7", "exp": NOW + 300, "iat": NOW}
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def sign(key: jwk.Key, alg: str, payload: dict[str, Any], **header: Any) -> str:
    head = {"alg": alg, "kid": key.kid, **header}
    return jwt.encode(
        {k: v for k, v in head.items() if v is not None}, payload, key, algorithms=[alg]
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, Any]) -> str:
    return _b64(json.dumps(value).encode())


def unsigned(payload: dict[str, Any], **header: Any) -> str:
    """RFC 7515 appendix A.5: `alg: none`, an empty signature — assembled by hand, as an attacker."""
    return f"{_segment({'alg': 'none', **header})}.{_segment(payload)}."


def hs256_with_public_key(key: jwk.RSAKey, payload: dict[str, Any]) -> str:
    """The classic confusion attack: HMAC keyed with the issuer's *public* key bytes."""
    signing_input = f"{_segment({'alg': 'HS256', 'kid': key.kid})}.{_segment(payload)}"
    secret = key.as_pem(private=False)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


class JwksServer:
    """An issuer's JWKS endpoint for httpx.MockTransport: counts fetches, can rotate or fail."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document: dict[str, Any] | None = document
        self.fetches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if self.document is None:
            return httpx.Response(503)
        return httpx.Response(200, json=self.document)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)
