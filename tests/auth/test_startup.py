"""auth_problems: when the gateway must refuse to start; and Settings loading as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.auth.startup import auth_problems
from gateway.settings import Settings

MONGO = "mongodb://mongo:27017/?replicaSet=rs0"
COMPLETE = {
    "auth_issuer": "https://idp.example.org",
    "auth_audience": "https://fhir.example.org/fhir",
    "auth_jwks_url": "https://idp.example.org/jwks",
}
DEFAULTED = (
    "MONGODB_URI is set, so authorization is on by default:"
    " set the AUTH_* settings or AUTH_MODE=off explicitly."
)
NO_ISSUER = "AUTH_MODE=smart needs AUTH_ISSUER (the tokens' `iss`)."
NO_AUDIENCE = "AUTH_MODE=smart needs AUTH_AUDIENCE (the tokens' `aud`)."
ONE_SOURCE = "AUTH_MODE=smart needs exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE."


@pytest.mark.parametrize(
    ("settings", "problems"),
    [
        pytest.param({}, [], id="embedded-defaults-off"),
        pytest.param({"mongodb_uri": MONGO, "auth_mode": "off"}, [], id="mongo-off-explicit"),
        pytest.param({"mongodb_uri": MONGO}, [DEFAULTED], id="mongo-nothing-said"),
        pytest.param({"mongodb_uri": MONGO, **COMPLETE}, [], id="mongo-smart-by-default"),
        pytest.param({"auth_mode": "smart", **COMPLETE}, [], id="embedded-smart-explicit"),
        pytest.param(
            {"auth_mode": "smart"}, [NO_ISSUER, NO_AUDIENCE, ONE_SOURCE], id="smart-nothing"
        ),
        pytest.param(
            {"mongodb_uri": MONGO, "auth_mode": "smart"},
            [NO_ISSUER, NO_AUDIENCE, ONE_SOURCE],
            id="mongo-smart-nothing",
        ),
        pytest.param(
            {"mongodb_uri": MONGO, "auth_issuer": "https://idp"},
            [NO_AUDIENCE, ONE_SOURCE],
            id="mongo-partial",
        ),
        pytest.param(
            {**COMPLETE, "auth_mode": "smart", "auth_issuer": None}, [NO_ISSUER], id="no-issuer"
        ),
        pytest.param(
            {**COMPLETE, "auth_mode": "smart", "auth_audience": ""},
            [NO_AUDIENCE],
            id="empty-audience",
        ),
        pytest.param(
            {**COMPLETE, "auth_mode": "smart", "auth_jwks_file": Path("k.json")},
            [ONE_SOURCE],
            id="both-sources",
        ),
        pytest.param(
            {
                **COMPLETE,
                "auth_mode": "smart",
                "auth_jwks_url": None,
                "auth_jwks_file": Path("k.json"),
            },
            [],
            id="file-source",
        ),
        pytest.param(
            {**COMPLETE, "auth_mode": "smart", "auth_jwks_url": "http://idp.example.org/jwks"},
            ["AUTH_JWKS_URL must be https (http only on localhost)."],
            id="http-url",
        ),
        pytest.param(
            {**COMPLETE, "auth_mode": "smart", "auth_jwks_url": "http://localhost:8081/jwks"},
            [],
            id="http-localhost",
        ),
        pytest.param(
            {"auth_mode": "off", "auth_issuer": "https://idp"}, [], id="off-ignores-the-rest"
        ),
    ],
)
def test_auth_problems(settings: dict[str, Any], problems: list[str]) -> None:
    assert auth_problems(Settings(**{"mongodb_uri": None, **settings})) == problems


@pytest.mark.parametrize(
    ("mongodb_uri", "auth_mode", "effective"),
    [(None, None, "off"), (MONGO, None, "smart"), (None, "smart", "smart"), (MONGO, "off", "off")],
)
def test_effective_auth_mode(
    mongodb_uri: str | None, auth_mode: str | None, effective: str
) -> None:
    assert Settings(mongodb_uri=mongodb_uri, auth_mode=auth_mode).effective_auth_mode == effective


def test_today_configurations_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """docker-compose and the tests set MONGODB_URI without any AUTH_*: Settings still loads."""
    for name in ("AUTH_MODE", "AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_JWKS_URL", "AUTH_JWKS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONGODB_URI", MONGO)
    monkeypatch.setenv("MONGODB_DATABASE", "fhir_gateway")
    monkeypatch.setenv("FHIR_BASE_PATH", "/fhir")
    settings = Settings()
    assert (settings.mongodb_uri, settings.auth_mode, settings.auth_clock_skew_seconds) == (
        MONGO,
        None,
        60,
    )
    monkeypatch.delenv("MONGODB_URI")
    assert Settings().effective_auth_mode == "off"


def test_auth_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUTH_MODE", "smart")
    monkeypatch.setenv("AUTH_JWKS_FILE", str(tmp_path / "jwks.json"))
    monkeypatch.setenv("AUTH_CLOCK_SKEW_SECONDS", "30")
    settings = Settings()
    assert (settings.auth_mode, settings.auth_jwks_file, settings.auth_clock_skew_seconds) == (
        "smart",
        tmp_path / "jwks.json",
        30,
    )
