"""Start-up: bad AUTH_* settings stop the gateway; `off` is said loudly, in the log and in the
CapabilityStatement's `rest.security`."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from typer.testing import CliRunner

from gateway.auth.refusal import StartupRefused
from gateway.auth.startup import auth_problems
from gateway.cli import main as cli_main
from gateway.http.app import OPEN_WARNING, create_app
from gateway.http.routes.metadata import cors_configured
from gateway.services.capabilities import OAUTH_URIS, SECURITY_SERVICE, capability_statement
from tests.auth.tokens_for_tests import AUDIENCE, ISSUER, TestIssuer
from tests.conftest import api_client, make_settings

IDP = TestIssuer.shared()
MONGO = "mongodb://localhost:1"  # never connected to: the refusal comes first


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        pytest.param(
            {"mongodb_uri": MONGO},
            "MONGODB_URI is set, so authorization is on by default",
            id="mongodb-without-auth-settings",
        ),
        pytest.param({"auth_mode": "smart"}, "AUTH_AUDIENCE", id="smart-without-anything"),
        pytest.param(
            {
                "auth_mode": "smart",
                "auth_issuer": ISSUER,
                "auth_audience": AUDIENCE,
                "auth_jwks_url": "http://idp.example/jwks",
            },
            "AUTH_JWKS_URL must be https",
            id="jwks-in-clear-text",
        ),
    ],
)
def test_create_app_refuses_what_auth_problems_refuses(
    overrides: dict[str, Any], said: str
) -> None:
    settings = make_settings(**overrides)
    with pytest.raises(StartupRefused) as refused:
        create_app(settings)
    assert refused.value.problems == auth_problems(settings)
    assert any(said in problem for problem in refused.value.problems)
    assert str(refused.value).startswith("The gateway refuses to start: ")


def test_an_unreadable_jwks_file_stops_the_start(tmp_path: Path) -> None:
    settings = IDP.settings(tmp_path)
    assert settings.auth_jwks_file is not None
    settings.auth_jwks_file.write_text('{"keys": "none"}')
    with pytest.raises(StartupRefused, match="JWKS"):
        create_app(settings)


def test_off_said_explicitly_starts_on_mongodb() -> None:
    create_app(make_settings(mongodb_uri=MONGO, auth_mode="off"))


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    for name in list(os.environ):
        if name.upper().startswith(("AUTH_", "MONGODB_", "DEMO_")):
            monkeypatch.delenv(name)
    return calls


def test_serve_refuses_with_the_problems_and_exit_code_2(
    uvicorn_calls: list[dict[str, Any]],
) -> None:
    result = CliRunner().invoke(
        cli_main.cli, ["serve"], env={"MONGODB_URI": MONGO, "AUTH_ISSUER": ISSUER}
    )
    assert result.exit_code == 2, result.output
    problems = auth_problems(make_settings(mongodb_uri=MONGO, auth_issuer=ISSUER))
    assert problems
    for problem in problems:
        assert problem in " ".join(result.output.split())  # Rich wraps long lines
    assert uvicorn_calls == []


def test_serve_starts_with_good_settings(
    uvicorn_calls: list[dict[str, Any]], tmp_path: Path
) -> None:
    env = {"MONGODB_URI": MONGO, "AUTH_MODE": "smart", "AUTH_ISSUER": ISSUER,
           "AUTH_AUDIENCE": AUDIENCE, "AUTH_JWKS_FILE": str(IDP.jwks_file(tmp_path))}  # fmt: skip
    result = CliRunner().invoke(cli_main.cli, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert len(uvicorn_calls) == 1


async def test_off_logs_one_loud_warning_at_start(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.http.app"):
        async with api_client(make_settings()):
            pass
    ours = [r for r in caplog.records if r.name == "gateway.http.app"]
    assert [(r.levelno, r.getMessage()) for r in ours] == [(logging.WARNING, OPEN_WARNING)]
    assert OPEN_WARNING.startswith(
        "AUTHORIZATION IS OFF: anyone who can reach this port can read and change every record"
    )


async def test_smart_logs_no_such_warning(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.http.app"):
        async with IDP.client(tmp_path):
            pass
    assert OPEN_WARNING not in caplog.text


# --- the CapabilityStatement says which mode is on ----------------------------------------


async def test_the_statement_says_authorization_is_off() -> None:
    async with api_client(make_settings()) as client:
        response = await client.get("/metadata")
    security = response.json()["rest"][0]["security"]
    assert security == {"cors": False, "description": security["description"]}
    assert security["description"].startswith("Authorization is OFF")


async def test_the_statement_names_smart_and_its_token_endpoint(tmp_path: Path) -> None:
    async with IDP.client(tmp_path) as client:
        response = await client.get("/metadata")
    assert response.status_code == 200, response.text
    security = response.json()["rest"][0]["security"]
    assert security["cors"] is False
    assert security["service"][0]["coding"] == [
        {"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}
    ]
    assert security["extension"] == [
        {"url": OAUTH_URIS, "extension": [{"url": "token", "valueUri": f"{AUDIENCE}/auth/token"}]}
    ]
    assert security["description"].startswith("SMART on FHIR (AUTH_MODE=smart)")


def test_the_statement_says_when_cors_is_configured() -> None:
    statement = capability_statement(base_url="http://x/fhir", date="2026", smart=True, cors=True)
    assert statement["rest"][0]["security"]["cors"] is True
    assert cors_configured(make_settings(cors_origins=["https://app.example"])) is True
    assert cors_configured(make_settings()) is False


async def test_the_served_statement_says_cors_when_origins_are_configured() -> None:
    async with api_client(make_settings(cors_origins=["https://app.example"])) as client:
        response = await client.get("/metadata")
    assert response.json()["rest"][0]["security"]["cors"] is True


def test_the_security_passes_the_r4_model() -> None:
    from fhir.resources.R4B.capabilitystatement import CapabilityStatementRestSecurity

    for smart in (False, True):
        security = capability_statement(base_url="http://x/fhir", date="2026", smart=smart)
        CapabilityStatementRestSecurity.model_validate(security["rest"][0]["security"])


# --- the OpenAPI document says a bearer token is needed --------------------------------


async def test_the_openapi_document_asks_for_the_bearer_token_when_smart(tmp_path: Path) -> None:
    async with IDP.client(tmp_path) as client:
        response = await client.get("/_openapi.json", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    document = response.json()
    validate(document)
    scheme = document["components"]["securitySchemes"]["smart"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["security"] == [{"smart": []}]
    assert document["paths"]["/metadata"]["get"]["security"] == []
    assert "security" not in document["paths"]["/Patient"]["get"]  # the document's own


async def test_the_openapi_document_asks_for_nothing_when_off() -> None:
    async with api_client(make_settings()) as client:
        document = (await client.get("/_openapi.json")).json()
    assert "securitySchemes" not in document["components"]
    assert "security" not in document
