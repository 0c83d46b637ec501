"""`fhir-gateway keys generate` and `fhir-gateway token`: development keys, and a token the
gateway then accepts; the keys' client can get a token at the token endpoint too."""

from __future__ import annotations

import stat
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import orjson
import pytest
from joserfc import jwk, jwt
from typer.testing import CliRunner

from gateway.auth.authenticator import Authenticator
from gateway.auth.backend_services import JWT_BEARER
from gateway.auth.clients import load_clients
from gateway.auth.startup import auth_problems
from gateway.cli.main import cli
from gateway.settings import Settings
from tests.conftest import api_client, make_settings

AUDIENCE = "http://test/fhir"
AUTH_ENV = ("AUTH_MODE", "AUTH_ISSUER", "AUTH_JWKS_URL", "AUTH_JWKS_FILE", "AUTH_TOKEN_ISSUER")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*AUTH_ENV, "AUTH_SIGNING_KEY_FILE", "AUTH_AUDIENCE", "AUTH_CLIENTS_FILE"):
        monkeypatch.delenv(name, raising=False)


def generate(out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["keys", "generate", "--out", str(out), *extra])
    return result.exit_code, result.stderr


def test_keys_generate_writes_keys_and_a_client_registration(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    code, err = generate(out)
    assert code == 0, err
    names = {"signing-key.json", "jwks.json", "client-key.json", "client-jwks.json", "clients.json"}
    assert {p.name for p in out.iterdir()} == names
    for private in ("signing-key.json", "client-key.json"):
        assert stat.S_IMODE((out / private).stat().st_mode) == 0o600
    signing = orjson.loads((out / "signing-key.json").read_bytes())
    published = orjson.loads((out / "jwks.json").read_bytes())["keys"]
    assert "d" in signing
    assert [k["kid"] for k in published] == [signing["kid"]]
    assert "d" not in published[0]
    (client,) = load_clients(out / "clients.json").values()
    assert client.client_id == "dev-client"
    assert [(s.context, s.resource_type, len(s.interactions)) for s in client.scopes] == [
        ("system", "*", 5)
    ]
    settings = Settings(
        mongodb_uri=None,
        auth_mode="smart",
        auth_audience=AUDIENCE,
        auth_signing_key_file=out / "signing-key.json",
        auth_clients_file=out / "clients.json",
    )
    assert auth_problems(settings) == []


def test_keys_generate_keeps_existing_keys_unless_forced(tmp_path: Path) -> None:
    generate(tmp_path)
    before = (tmp_path / "signing-key.json").read_bytes()
    code, err = generate(tmp_path)
    assert (code, (tmp_path / "signing-key.json").read_bytes()) == (0, before)
    assert "kept" in err
    assert generate(tmp_path, "--force")[0] == 0
    assert (tmp_path / "signing-key.json").read_bytes() != before


async def test_the_generated_client_gets_a_token(tmp_path: Path) -> None:
    generate(tmp_path)
    client_key = jwk.ECKey.import_key(orjson.loads((tmp_path / "client-key.json").read_bytes()))
    claims = {
        "iss": "dev-client",
        "sub": "dev-client",
        "aud": f"{AUDIENCE}/auth/token",
        "exp": int(time.time()) + 120,
        "jti": uuid.uuid4().hex,
    }
    header = {"alg": "ES384", "kid": client_key.kid}
    assertion = jwt.encode(header, claims, client_key, algorithms=["ES384"])
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER,
        "client_assertion": assertion,
        "scope": "system/Patient.rs",
    }
    settings = make_settings(
        auth_mode="smart",
        auth_audience=AUDIENCE,
        auth_signing_key_file=tmp_path / "signing-key.json",
        auth_clients_file=tmp_path / "clients.json",
    )
    async with api_client(settings) as api:
        response = await api.post(
            "/auth/token",
            content=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200, response.text
    grant = await Authenticator.from_settings(settings).grant_for(
        f"Bearer {response.json()['access_token']}"
    )
    assert grant.allows("r", "Patient")
    assert not grant.allows("r", "Observation")


async def test_token_mints_a_token_the_gateway_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path)
    monkeypatch.setenv("AUTH_SIGNING_KEY_FILE", str(tmp_path / "signing-key.json"))
    monkeypatch.setenv("AUTH_AUDIENCE", AUDIENCE)
    arguments = ["token", "--client", "dev", "--scope", "patient/*.rs", "--patient", "p1",
                 "--fhir-user", "Practitioner/1", "--minutes", "5"]  # fmt: skip
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    settings = Settings(mongodb_uri=None, auth_mode="smart")
    grant = await Authenticator.from_settings(settings).grant_for(f"Bearer {token}")
    assert (grant.client_id, grant.patient, grant.fhir_user) == ("dev", "p1", "Practitioner/1")
    assert grant.allows("s", "Observation")
    key = jwk.RSAKey.import_key(orjson.loads((tmp_path / "signing-key.json").read_bytes()))
    claims = jwt.decode(token, key, algorithms=["RS256"]).claims
    assert claims["exp"] - claims["iat"] == 300
    assert claims["iss"] == f"{AUDIENCE}/auth"


@pytest.mark.parametrize("missing", ["AUTH_SIGNING_KEY_FILE", "AUTH_AUDIENCE"])
def test_token_refuses_without_a_signing_key_or_audience(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    generate(tmp_path)
    monkeypatch.setenv("AUTH_SIGNING_KEY_FILE", str(tmp_path / "signing-key.json"))
    monkeypatch.setenv("AUTH_AUDIENCE", AUDIENCE)
    monkeypatch.delenv(missing)
    result = CliRunner().invoke(cli, ["token", "--client", "dev", "--scope", "system/*.rs"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "AUTH_SIGNING_KEY_FILE and AUTH_AUDIENCE" in result.stderr


def test_token_refuses_an_unusable_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "key.json").write_text('{"kty": "oct", "k": "c2VjcmV0"}')
    monkeypatch.setenv("AUTH_SIGNING_KEY_FILE", str(tmp_path / "key.json"))
    monkeypatch.setenv("AUTH_AUDIENCE", AUDIENCE)
    result = CliRunner().invoke(cli, ["token", "--client", "dev", "--scope", "system/*.rs"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "not an RSA or EC JWK" in " ".join(result.stderr.split())  # Rich wraps lines
