"""The gateway's own signing key: it signs the access tokens of its token endpoint.

https://www.rfc-editor.org/rfc/rfc7517 (JWK), rfc7518 §3.3-3.4 (RS256, ES256), rfc7638 (JWK
thumbprint). The key comes from `AUTH_SIGNING_KEY_FILE`, a private JWK (JSON) or a PEM file; its
type picks the algorithm (RSA: RS256, at least 2048 bits; EC P-256: ES256) because those are the
two algorithms gateway.auth.tokens verifies, so a token we sign is one we can check. A key
without a `kid` gets its RFC 7638 thumbprint, so the published JWKS always names it.

joserfc does the cryptography; nothing here signs by hand. A key file that cannot be read is an
`InvalidSigningKey` at start-up (gateway.auth.startup), never a 500 on the first token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from joserfc import jwk, jwt
from joserfc.errors import JoseError

MIN_RSA_BITS = 2048


class InvalidSigningKey(ValueError):
    """AUTH_SIGNING_KEY_FILE is not a private RSA (>= 2048 bits) or EC P-256 key."""


class SigningKey:
    """A private key with its algorithm and `kid`; signs JWTs and publishes its public half."""

    def __init__(self, key: jwk.RSAKey | jwk.ECKey) -> None:
        if not key.is_private:
            raise InvalidSigningKey("The signing key is a public key; a private key is needed.")
        self.alg = _algorithm(key)
        self.kid = key.kid or key.thumbprint()
        self._key = key

    @classmethod
    def from_file(cls, path: Path) -> SigningKey:
        """Read a private JWK (JSON object) or a PEM file; `InvalidSigningKey` when neither."""
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InvalidSigningKey(f"`{path}` cannot be read: {error.strerror}.") from error
        return cls(_import(data, name=str(path)))

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        """A compact JWS of `claims`, headed with our `alg` and `kid`."""
        header = {"alg": self.alg, "kid": self.kid, "typ": typ}
        return jwt.encode(header, claims, self._key, algorithms=[self.alg])

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK, with `kid`, `alg` and `use` so verifiers need not guess."""
        public = dict(self._key.as_dict(private=False))
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document served at `[base]/auth/jwks`."""
        return {"keys": [self.public_jwk()]}


def _import(data: bytes, *, name: str) -> jwk.RSAKey | jwk.ECKey:
    text = data.strip()
    if text.startswith(b"{"):
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise InvalidSigningKey(f"`{name}` is not valid JSON: {error}.") from error
        if not isinstance(document, dict) or document.get("kty") not in ("RSA", "EC"):
            raise InvalidSigningKey(f"`{name}` is not an RSA or EC JWK (`kty`).")
        return _imported(document, str(document["kty"]), name=name)
    for key_type in ("RSA", "EC"):
        try:
            return _imported(text, key_type, name=name)
        except InvalidSigningKey:
            continue
    raise InvalidSigningKey(f"`{name}` is neither a JWK nor a PEM RSA or EC private key.")


def _imported(value: Any, key_type: str, *, name: str) -> jwk.RSAKey | jwk.ECKey:
    try:
        if key_type == "RSA":
            return jwk.RSAKey.import_key(value)
        return jwk.ECKey.import_key(value)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidSigningKey(f"`{name}` holds no usable {key_type} key: {error}.") from error


def _algorithm(key: jwk.RSAKey | jwk.ECKey) -> str:
    if isinstance(key, jwk.RSAKey):
        bits = key.raw_value.key_size
        if bits < MIN_RSA_BITS:
            raise InvalidSigningKey(f"The RSA signing key has {bits} bits; at least 2048 needed.")
        return "RS256"
    if key.dict_value.get("crv") != "P-256":
        raise InvalidSigningKey("The EC signing key must be on curve P-256 (ES256).")
    return "ES256"
