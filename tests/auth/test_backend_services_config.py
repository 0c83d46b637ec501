"""Backend Services configuration: the signing key file, the clients file, what a client may be
granted, and the start-up rules once the gateway can sign its own tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from joserfc import jwk

from gateway.auth.clients import InvalidClients, granted_scopes, parse_clients
from gateway.auth.scopes import parse_scopes
from gateway.auth.signing import InvalidSigningKey, SigningKey
from gateway.auth.startup import auth_problems
from gateway.settings import Settings

AUDIENCE = "https://fhir.example.org/fhir"
NO_ISSUER = "AUTH_MODE=smart needs AUTH_ISSUER (the tokens' `iss`)."
NO_AUDIENCE = "AUTH_MODE=smart needs AUTH_AUDIENCE (the tokens' `aud`)."
ONE_SOURCE = "AUTH_MODE=smart needs exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE."
PUBLIC = {"keys": [jwk.ECKey.generate_key("P-384", parameters={"kid": "c"}).as_dict(private=False)]}


@pytest.mark.parametrize(
    ("requested", "registered", "granted"),
    [
        pytest.param("system/Observation.rs", "system/*.rs", ["system/Observation.rs"], id="type"),
        pytest.param("system/*.r", "system/*.rs", ["system/*.r"], id="fewer-letters"),
        pytest.param("system/*.read", "system/*.rs", ["system/*.read"], id="v1-within-v2"),
        pytest.param("system/*.rs", "system/*.read", ["system/*.rs"], id="v2-within-v1"),
        pytest.param("system/*.rs", "system/Observation.rs", [], id="wider-type"),
        pytest.param("system/*.cruds", "system/*.rs", [], id="more-letters"),
        pytest.param("user/*.rs", "system/*.*", [], id="other-context"),
        pytest.param(
            "system/Observation.rs?category=laboratory",
            "system/*.rs",
            ["system/Observation.rs?category=laboratory"],
            id="query-within-unrestricted",
        ),
        pytest.param(
            "system/Observation.rs",
            "system/Observation.rs?category=laboratory",
            [],
            id="lifts-query",
        ),
        pytest.param("openid fhirUser", "system/*.*", [], id="not-resource-scopes"),
        pytest.param(
            "system/Patient.rs system/Patient.rs system/Bogus.rs",
            "system/*.*",
            ["system/Patient.rs"],
            id="duplicates-and-malformed",
        ),
    ],
)
def test_granted_scopes(requested: str, registered: str, granted: list[str]) -> None:
    assert granted_scopes(requested, parse_scopes(registered)) == granted


def _client(**entry: Any) -> dict[str, Any]:
    return {"client_id": "c1", "jwks": PUBLIC, "scope": "system/*.rs", **entry}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param([], '"clients" array', id="not-an-object"),
        pytest.param({"clients": {}}, '"clients" array', id="clients-not-a-list"),
        pytest.param({"clients": ["c1"]}, r"clients\[0\] is not a JSON object", id="entry"),
        pytest.param({"clients": [_client(client_id=" ")]}, "no `client_id`", id="blank-id"),
        pytest.param({"clients": [_client(scope=None)]}, "no `scope` string", id="no-scope"),
        pytest.param({"clients": [_client(jwks=None)]}, "exactly one of", id="no-keys"),
        pytest.param(
            {"clients": [_client(jwks_url="https://c.example/jwks")]}, "exactly one of", id="both"
        ),
        pytest.param(
            {"clients": [_client(jwks=None, jwks_url="http://c.example/jwks")]},
            "must be an https URL",
            id="clear-text-url",
        ),
        pytest.param(
            {"clients": [_client(jwks={"keys": [{"kty": "EC"}]})]}, "cannot be read", id="bad-key"
        ),
        pytest.param(
            {
                "clients": [
                    _client(jwks={"keys": [jwk.ECKey.generate_key("P-256").as_dict(private=True)]})
                ]
            },
            "public keys only",
            id="private-key",
        ),
        pytest.param({"clients": [_client(), _client()]}, "registered twice", id="duplicate"),
    ],
)
def test_a_clients_file_that_cannot_be_used(document: Any, message: str) -> None:
    with pytest.raises(InvalidClients, match=message):
        parse_clients(document)


def test_a_client_with_a_jwks_url_is_accepted_without_fetching() -> None:
    clients = parse_clients(
        {"clients": [_client(jwks=None, jwks_url="http://localhost:9/jwks", scope="system/*.*")]}
    )
    assert [scope.resource_type for scope in clients["c1"].scopes] == ["*"]


def test_signing_keys_by_type(tmp_path: Path) -> None:
    rsa = jwk.RSAKey.generate_key(2048)
    pem = tmp_path / "key.pem"
    pem.write_bytes(rsa.as_pem(private=True))
    loaded = SigningKey.from_file(pem)
    assert (loaded.alg, loaded.kid) == ("RS256", rsa.thumbprint())
    ec = jwk.ECKey.generate_key("P-256", parameters={"kid": "mine"})
    path = tmp_path / "ec.json"
    path.write_bytes(orjson.dumps(ec.as_dict(private=True)))
    assert (SigningKey.from_file(path).alg, SigningKey.from_file(path).kid) == ("ES256", "mine")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"{not json", "not valid JSON", id="bad-json"),
        pytest.param(b'{"kty": "oct", "k": "c2VjcmV0"}', "not an RSA or EC JWK", id="symmetric"),
        pytest.param(b"-----BEGIN NOTHING-----", "neither a JWK nor a PEM", id="garbage"),
        pytest.param(
            orjson.dumps(jwk.ECKey.generate_key("P-384").as_dict(private=True)), "P-256", id="p384"
        ),
        pytest.param(
            orjson.dumps(jwk.RSAKey.generate_key(2048).as_dict(private=False)),
            "public key",
            id="public-only",
        ),
    ],
)
def test_an_unusable_signing_key(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "key"
    path.write_bytes(content)
    with pytest.raises(InvalidSigningKey, match=message):
        SigningKey.from_file(path)


def test_a_missing_signing_key_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidSigningKey, match="cannot be read"):
        SigningKey.from_file(tmp_path / "absent.json")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    key = tmp_path / "signing.json"
    key.write_bytes(orjson.dumps(jwk.RSAKey.generate_key(2048).as_dict(private=True)))
    clients = tmp_path / "clients.json"
    clients.write_bytes(orjson.dumps({"clients": [_client()]}))
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"clients": 3}')
    return {"key": key, "clients": clients, "bad": bad, "absent": tmp_path / "absent.json"}


@pytest.mark.parametrize(
    ("settings", "problems"),
    [
        pytest.param({"signing": "key"}, [], id="own-tokens-only"),
        pytest.param({"signing": "key", "clients": "clients"}, [], id="with-clients"),
        pytest.param(
            {"signing": "key", "auth_issuer": "https://idp", "auth_jwks_url": "https://idp/k"},
            [],
            id="both-issuers",
        ),
        pytest.param({"signing": "key", "auth_audience": None}, [NO_AUDIENCE], id="no-audience"),
        pytest.param(
            {"signing": "key", "auth_issuer": "https://idp"}, [ONE_SOURCE], id="external-half-given"
        ),
        pytest.param(
            {"signing": "key", "auth_jwks_url": "https://idp/k"}, [NO_ISSUER], id="external-no-iss"
        ),
        pytest.param(
            {"signing": "absent"},
            ["AUTH_SIGNING_KEY_FILE: `{absent}` cannot be read: No such file or directory."],
            id="key-file-absent",
        ),
        pytest.param(
            {"signing": "key", "clients": "bad"},
            ['AUTH_CLIENTS_FILE must be a JSON object with a "clients" array.'],
            id="bad-clients-file",
        ),
        pytest.param(
            {"clients": "clients", "auth_issuer": "https://idp", "auth_jwks_url": "https://idp/k"},
            ["AUTH_CLIENTS_FILE needs AUTH_SIGNING_KEY_FILE to sign their tokens."],
            id="clients-without-key",
        ),
        pytest.param(
            {
                "signing": "key",
                "auth_issuer": f"{AUDIENCE}/auth",
                "auth_jwks_url": "https://idp/k",
            },
            ["AUTH_TOKEN_ISSUER (default `{AUTH_AUDIENCE}/auth`) must differ from AUTH_ISSUER."],
            id="same-issuer",
        ),
        pytest.param({"auth_mode": "off", "signing": "absent"}, [], id="off-ignores-files"),
    ],
)
def test_start_up_rules_with_a_signing_key(
    files: dict[str, Path], settings: dict[str, Any], problems: list[str]
) -> None:
    values: dict[str, Any] = {"mongodb_uri": None, "auth_mode": "smart", "auth_audience": AUDIENCE}
    values |= {k: v for k, v in settings.items() if k not in ("signing", "clients")}
    if "signing" in settings:
        values["auth_signing_key_file"] = files[settings["signing"]]
    if "clients" in settings:
        values["auth_clients_file"] = files[settings["clients"]]
    expected = [p.replace("{absent}", str(files["absent"])) for p in problems]
    assert auth_problems(Settings(**values)) == expected


def test_a_signing_key_alone_turns_smart_on_by_default_with_mongodb(files: dict[str, Path]) -> None:
    settings = Settings(
        mongodb_uri="mongodb://mongo:27017",
        auth_audience=AUDIENCE,
        auth_signing_key_file=files["key"],
    )
    assert settings.effective_auth_mode == "smart"
    assert auth_problems(settings) == []
