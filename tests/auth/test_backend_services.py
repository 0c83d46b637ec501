"""SMART Backend Services end to end: a client registered in a temp AUTH_CLIENTS_FILE signs an
assertion with a key this test generates, gets a token at `POST [base]/auth/token`, and the
token verifies with the gateway's Authenticator; every way the exchange must fail; discovery
and the JWKS endpoint.

Until the HTTP edge (acc-edge) authenticates FHIR routes, the token is checked with the
Authenticator the edge will use (`Authenticator.from_settings`), not by a FHIR read over HTTP.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from joserfc import jwk, jwt

from gateway.auth.authenticator import Authenticator
from gateway.auth.backend_services import JWT_BEARER
from gateway.auth.unauthorized import Unauthorized
from gateway.settings import Settings
from tests.auth.keysets import hs256_with_public_key, unsigned
from tests.conftest import api_client, make_settings

AUDIENCE = "http://test/fhir"
TOKEN_URL = f"{AUDIENCE}/auth/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Registered:
    """A client this test registered, with its private keys by algorithm."""

    client_id: str
    keys: dict[str, jwk.Key]

    def assertion(self, alg: str = "ES384", **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": TOKEN_URL,
            "exp": now + 240,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        key = self.keys[alg]
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(
            {"alg": alg, "kid": key.kid, "typ": "JWT"}, payload, key, algorithms=[alg]
        )


def _client_keys() -> dict[str, jwk.Key]:
    rsa = jwk.RSAKey.generate_key(2048, parameters={"kid": "client-rsa"})
    p384 = jwk.ECKey.generate_key("P-384", parameters={"kid": "client-p384"})
    p256 = jwk.ECKey.generate_key("P-256", parameters={"kid": "client-p256"})
    return {"RS384": rsa, "RS256": rsa, "ES384": p384, "ES256": p256}


@pytest.fixture(scope="module")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Registered]:
    """The gateway's signing key and a clients file registering `backend` with system/*.rs."""
    directory = tmp_path_factory.mktemp("keys")
    signing = jwk.RSAKey.generate_key(2048, parameters={"kid": "gateway-1"})
    (directory / "signing.json").write_bytes(orjson.dumps(signing.as_dict(private=True)))
    client = Registered("backend", _client_keys())
    public = {
        "keys": [
            k.as_dict(private=False) for k in {id(k): k for k in client.keys.values()}.values()
        ]
    }
    clients = {
        "clients": [
            {"client_id": "backend", "jwks": public, "scope": "system/*.rs system/Observation.c"},
            {"client_id": "empty", "jwks": public, "scope": ""},
        ]
    }
    (directory / "clients.json").write_bytes(orjson.dumps(clients))
    return directory, client


def smart_settings(directory: Path, **overrides: Any) -> Settings:
    return make_settings(
        **{
            "auth_mode": "smart",
            "auth_audience": AUDIENCE,
            "auth_signing_key_file": directory / "signing.json",
            "auth_clients_file": directory / "clients.json",
            **overrides,
        }
    )


@pytest.fixture
async def smart(keys_dir: tuple[Path, Registered]) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(smart_settings(keys_dir[0])) as client:
        yield client


@pytest.fixture
def backend(keys_dir: tuple[Path, Registered]) -> Registered:
    return keys_dir[1]


def exchange_form(assertion: str | None, **overrides: str | None) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        "scope": "system/*.rs",
        **overrides,
    }
    return {k: v for k, v in form.items() if v is not None}


async def post_token(client: httpx.AsyncClient, form: dict[str, str] | str) -> httpx.Response:
    body = form if isinstance(form, str) else urlencode(form)
    return await client.post("/auth/token", content=body, headers=FORM)


@pytest.mark.parametrize("alg", ["ES384", "RS384", "ES256", "RS256"])
async def test_a_signed_assertion_gets_a_token_the_gateway_accepts(
    smart: httpx.AsyncClient, backend: Registered, keys_dir: tuple[Path, Registered], alg: str
) -> None:
    response = await post_token(smart, exchange_form(backend.assertion(alg)))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body.keys() == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("bearer", 300, "system/*.rs")
    authenticator = Authenticator.from_settings(smart_settings(keys_dir[0]))
    grant = await authenticator.grant_for(f"Bearer {body['access_token']}")
    assert (grant.client_id, grant.subject, grant.patient) == ("backend", "backend", None)
    assert grant.allows("r", "Observation")
    assert grant.allows("s", "Patient")
    assert not grant.allows("c", "Observation")  # registered, but not asked for


async def test_the_access_token_claims(
    smart: httpx.AsyncClient, backend: Registered, keys_dir: tuple[Path, Registered]
) -> None:
    before = int(time.time())
    response = await post_token(smart, exchange_form(backend.assertion()))
    token = response.json()["access_token"]
    jwks = (await smart.get("/auth/jwks")).json()
    key = jwk.KeySet.import_key_set(jwks).keys[0]
    decoded = jwt.decode(token, key, algorithms=["RS256"])
    assert (decoded.header["kid"], decoded.header["typ"]) == ("gateway-1", "at+jwt")
    claims = decoded.claims
    assert claims["iss"] == f"{AUDIENCE}/auth"
    assert (claims["aud"], claims["sub"], claims["client_id"]) == (AUDIENCE, "backend", "backend")
    assert claims["scope"] == "system/*.rs"
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 300
    assert isinstance(claims["jti"], str)
    assert len(claims["jti"]) >= 16


async def test_scopes_outside_the_registration_are_dropped(
    smart: httpx.AsyncClient, backend: Registered
) -> None:
    asked = (
        "system/Observation.rs?category=laboratory system/Patient.cud system/Observation.c openid"
    )
    response = await post_token(smart, exchange_form(backend.assertion(), scope=asked))
    assert response.status_code == 200, response.text
    assert (
        response.json()["scope"] == "system/Observation.rs?category=laboratory system/Observation.c"
    )


def _expired(client: Registered) -> str:
    return client.assertion(exp=int(time.time()) - 120)


def _too_long(client: Registered) -> str:
    return client.assertion(exp=int(time.time()) + 3600)


def _other_key(client: Registered) -> str:
    """Signed by a key the client never registered, under its registered kid."""
    impostor = jwk.ECKey.generate_key("P-384", parameters={"kid": "client-p384"})
    return Registered(client.client_id, {"ES384": impostor}).assertion()


def _tampered(client: Registered) -> str:
    """The client's own assertion with one signature character changed."""
    header, payload, signature = client.assertion().split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{header}.{payload}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"


def _hs256(client: Registered) -> str:
    rsa = client.keys["RS384"]
    assert isinstance(rsa, jwk.RSAKey)
    now = int(time.time())
    claims = {"iss": "backend", "sub": "backend", "aud": TOKEN_URL, "exp": now + 60, "jti": "h"}
    return hs256_with_public_key(rsa, claims)


def _none(client: Registered) -> str:
    now = int(time.time())
    claims = {"iss": "backend", "sub": "backend", "aud": TOKEN_URL, "exp": now + 60, "jti": "n"}
    return unsigned(claims)


CASES = [
    pytest.param(
        lambda c: c.assertion(aud="http://elsewhere/token"), "invalid_client", 401, id="wrong-aud"
    ),
    pytest.param(_expired, "invalid_client", 401, id="expired"),
    pytest.param(_too_long, "invalid_client", 401, id="exp-over-5-minutes"),
    pytest.param(_other_key, "invalid_client", 401, id="bad-signature"),
    pytest.param(_tampered, "invalid_client", 401, id="tampered-signature"),
    pytest.param(_hs256, "invalid_client", 401, id="hs256"),
    pytest.param(_none, "invalid_client", 401, id="alg-none"),
    pytest.param(
        lambda c: c.assertion(iss="stranger", sub="stranger"),
        "invalid_client",
        401,
        id="unknown-client",
    ),
    pytest.param(
        lambda c: c.assertion(sub="someone-else"), "invalid_client", 401, id="sub-not-iss"
    ),
    pytest.param(lambda c: c.assertion(jti=None), "invalid_client", 401, id="no-jti"),
    pytest.param(lambda c: c.assertion(exp=None), "invalid_client", 401, id="no-exp"),
    pytest.param(
        lambda c: c.assertion(nbf=int(time.time()) + 600), "invalid_client", 401, id="nbf-future"
    ),
    pytest.param(lambda c: "not-a-jwt", "invalid_client", 401, id="garbage"),
    pytest.param(lambda c: "a.b.c", "invalid_client", 401, id="garbage-segments"),
]


@pytest.mark.parametrize(("assertion", "error", "status"), CASES)
async def test_a_bad_assertion_is_invalid_client(
    smart: httpx.AsyncClient, backend: Registered, assertion: Any, error: str, status: int
) -> None:
    response = await post_token(smart, exchange_form(assertion(backend)))
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert set(body) == {"error", "error_description"}
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("overrides", "error", "status"),
    [
        pytest.param(
            {"grant_type": "authorization_code"}, "unsupported_grant_type", 400, id="grant"
        ),
        pytest.param({"grant_type": None}, "invalid_request", 400, id="no-grant"),
        pytest.param({"client_assertion_type": "urn:other"}, "invalid_client", 401, id="type"),
        pytest.param({"client_assertion": ""}, "invalid_client", 401, id="empty-assertion"),
        pytest.param({"scope": "system/Patient.cud"}, "invalid_scope", 400, id="outside"),
        pytest.param({"scope": "patient/*.rs"}, "invalid_scope", 400, id="other-context"),
        pytest.param({"scope": "openid"}, "invalid_scope", 400, id="no-resource-scope"),
        pytest.param({"scope": None}, "invalid_scope", 400, id="no-scope"),
        pytest.param({"client_id": "someone"}, "invalid_client", 401, id="client-id-differs"),
    ],
)
async def test_a_bad_token_request_is_an_oauth_error(
    smart: httpx.AsyncClient,
    backend: Registered,
    overrides: dict[str, str | None],
    error: str,
    status: int,
) -> None:
    response = await post_token(smart, exchange_form(backend.assertion(), **overrides))
    assert (response.status_code, response.json()["error"]) == (status, error), response.text


async def test_a_replayed_assertion_is_refused(
    smart: httpx.AsyncClient, backend: Registered
) -> None:
    assertion = backend.assertion()
    first = await post_token(smart, exchange_form(assertion))
    again = await post_token(smart, exchange_form(assertion))
    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()["error"]) == (401, "invalid_client")
    assert "jti" in again.json()["error_description"]


async def test_a_client_registered_without_scopes_is_unauthorized(
    smart: httpx.AsyncClient, backend: Registered
) -> None:
    empty = Registered("empty", backend.keys)
    response = await post_token(smart, exchange_form(empty.assertion()))
    assert (response.status_code, response.json()["error"]) == (400, "unauthorized_client")


async def test_a_parameter_given_twice_is_invalid_request(
    smart: httpx.AsyncClient, backend: Registered
) -> None:
    body = urlencode(exchange_form(backend.assertion())) + "&scope=system/*.read"
    response = await post_token(smart, body)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_a_json_body_is_invalid_request(
    smart: httpx.AsyncClient, backend: Registered
) -> None:
    response = await smart.post(
        "/auth/token",
        json=exchange_form(backend.assertion()),
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_a_body_over_the_limit_is_refused(keys_dir: tuple[Path, Registered]) -> None:
    async with api_client(smart_settings(keys_dir[0], max_body_bytes=1024)) as client:
        response = await post_token(client, {"grant_type": "client_credentials", "pad": "x" * 2048})
    assert (response.status_code, response.json()["error"]) == (413, "invalid_request")


async def test_invalid_utf8_is_invalid_request(smart: httpx.AsyncClient) -> None:
    response = await smart.post("/auth/token", content=b"grant_type=\xff\xfe", headers=FORM)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_get_on_the_token_endpoint_is_405(smart: httpx.AsyncClient) -> None:
    response = await smart.get("/auth/token")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


async def test_the_discovery_document(smart: httpx.AsyncClient) -> None:
    response = await smart.get("/.well-known/smart-configuration")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "jwks_uri": f"{AUDIENCE}/auth/jwks",
        "token_endpoint": TOKEN_URL,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384", "RS256", "ES256"],
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": [
            "system/*.cruds",
            "system/*.rs",
            "system/*.cud",
            "system/*.read",
            "system/*.write",
            "system/*.*",
        ],
        "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
    }


async def test_discovery_names_urls_from_settings_not_the_host_header(
    smart: httpx.AsyncClient,
) -> None:
    response = await smart.get(
        "/.well-known/smart-configuration", headers={"Host": "attacker.example"}
    )
    assert response.json()["token_endpoint"] == TOKEN_URL


async def test_discovery_with_an_external_provider_still_names_our_endpoint(
    keys_dir: tuple[Path, Registered], tmp_path: Path
) -> None:
    external = tmp_path / "idp.json"
    external.write_bytes(
        orjson.dumps({"keys": [jwk.ECKey.generate_key("P-256").as_dict(private=False)]})
    )
    settings = smart_settings(
        keys_dir[0], auth_issuer="https://idp.example.org", auth_jwks_file=external
    )
    async with api_client(settings) as client:
        document = (await client.get("/.well-known/smart-configuration")).json()
    assert (document["token_endpoint"], document["jwks_uri"]) == (
        TOKEN_URL,
        f"{AUDIENCE}/auth/jwks",
    )


async def test_auth_off_has_no_discovery_no_jwks_no_token_endpoint() -> None:
    async with api_client(make_settings()) as client:
        discovery = await client.get("/.well-known/smart-configuration")
        keys = await client.get("/auth/jwks")
        token = await post_token(client, {"grant_type": "client_credentials"})
    assert discovery.status_code == 404
    assert discovery.json()["resourceType"] == "OperationOutcome"
    assert keys.status_code == 404
    assert (token.status_code, token.json()["error"]) == (400, "unsupported_grant_type")


EXTERNAL_ONLY = {
    "auth_mode": "smart",
    "auth_issuer": "https://idp.example.org",
    "auth_audience": AUDIENCE,
    "auth_jwks_url": "https://idp.example.org/jwks",
}


@pytest.mark.parametrize("endpoint", [None, "https://idp.example.org/oauth/token"])
async def test_an_external_provider_alone_is_still_discovered(endpoint: str | None) -> None:
    """SMART: a server SHALL publish its configuration. Without a key of its own the gateway
    names the provider's token endpoint (AUTH_TOKEN_ENDPOINT) and issues nothing itself."""
    settings = make_settings(**EXTERNAL_ONLY, auth_token_endpoint=endpoint)
    async with api_client(settings) as client:
        discovery = await client.get("/.well-known/smart-configuration")
        keys = await client.get("/auth/jwks")
        token = await post_token(client, {"grant_type": "client_credentials"})
    assert discovery.status_code == 200
    document = discovery.json()
    assert document.get("token_endpoint") == endpoint
    assert "permission-v2" in document["capabilities"]
    assert "jwks_uri" not in document
    assert keys.status_code == 404
    assert (token.status_code, token.json()["error"]) == (400, "unsupported_grant_type")


async def test_the_jwks_is_public_and_names_its_key(smart: httpx.AsyncClient) -> None:
    response = await smart.get("/auth/jwks")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert (key["kty"], key["kid"], key["alg"], key["use"]) == ("RSA", "gateway-1", "RS256", "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()


async def test_a_token_from_the_endpoint_fails_against_another_audience(
    smart: httpx.AsyncClient, backend: Registered, keys_dir: tuple[Path, Registered]
) -> None:
    token = (await post_token(smart, exchange_form(backend.assertion()))).json()["access_token"]
    other = Authenticator.from_settings(
        smart_settings(keys_dir[0], auth_audience="https://other.example/fhir",
                       auth_token_issuer=f"{AUDIENCE}/auth")
    )  # fmt: skip
    with pytest.raises(Unauthorized):
        await other.grant_for(f"Bearer {token}")
