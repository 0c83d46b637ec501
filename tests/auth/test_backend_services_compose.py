"""docker-compose.yml runs the gateway with SMART on: its environment, with the keys the `keys`
service generates, is a configuration the gateway starts with and signs tokens under."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from gateway.auth.authenticator import Authenticator
from gateway.auth.backend_services import TokenMinter
from gateway.auth.startup import auth_problems
from gateway.cli.main import cli
from gateway.settings import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text("utf-8"))
    return dict(document["services"])


def test_the_keys_service_generates_into_the_volume_the_gateway_reads(
    services: dict[str, Any],
) -> None:
    keys, gateway = services["keys"], services["gateway"]
    assert "fhir-gateway keys generate --out /keys" in " ".join(keys["command"])
    assert "keys:/keys" in keys["volumes"]
    assert "keys:/keys:ro" in gateway["volumes"]
    assert gateway["depends_on"]["keys"] == {"condition": "service_completed_successfully"}


async def test_the_gateway_environment_starts_and_accepts_its_own_tokens(
    services: dict[str, Any], tmp_path: Path
) -> None:
    assert CliRunner().invoke(cli, ["keys", "generate", "--out", str(tmp_path)]).exit_code == 0
    environment = {
        name.lower(): str(value).replace("/keys/", f"{tmp_path}/")
        for name, value in services["gateway"]["environment"].items()
    }
    settings = Settings(**environment)
    assert settings.effective_auth_mode == "smart"
    assert auth_problems(settings) == []
    minter = TokenMinter.from_settings(settings)
    assert minter is not None
    token = minter.mint(client_id="ops", scope="system/*.rs", lifetime=60)
    grant = await Authenticator.from_settings(settings).grant_for(f"Bearer {token}")
    assert grant.allows("s", "Patient")
