"""The liveness and readiness probes: public, unaudited, and never a 500."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.http.audit_paths import classify
from gateway.http.routes import health
from tests.auth.tokens_for_tests import TestIssuer
from tests.conftest import api_client, make_settings

ROOT = "http://test"
PROBES = ["/health", "/health/live", "/health/ready"]


@pytest.mark.parametrize("path", PROBES)
async def test_probes_answer_ok_on_the_embedded_store(path: str) -> None:
    async with api_client(make_settings()) as client:
        r = await client.get(f"{ROOT}{path}")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}


@pytest.mark.parametrize("path", PROBES)
async def test_probes_need_no_token_when_authorization_is_on(path: str, tmp_path: Path) -> None:
    async with TestIssuer.shared().client(tmp_path) as client:
        assert (await client.get("/Patient")).status_code == 401  # the base does ask
        r = await client.get(f"{ROOT}{path}")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", PROBES)
def test_probes_are_not_audited(path: str) -> None:
    assert classify("GET", path, base="/fhir") is None


async def test_a_probe_refuses_other_methods_with_405() -> None:
    async with api_client(make_settings()) as client:
        r = await client.post(f"{ROOT}/health/ready")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"


async def _on_mongodb(monkeypatch: pytest.MonkeyPatch, client: api_client) -> None:
    """Make the opened app believe it runs on MongoDB, so its readiness pings."""
    services = client.app.state.services
    monkeypatch.setattr(
        services, "settings", services.settings.model_copy(update={"mongodb_uri": "mongodb://db"})
    )


async def test_ready_when_the_database_answers_the_ping(monkeypatch: pytest.MonkeyPatch) -> None:
    pinged: list[object] = []

    async def answers(client: object) -> None:
        pinged.append(client)

    monkeypatch.setattr(health, "ping", answers)
    opened = api_client(make_settings())
    async with opened as client:
        await _on_mongodb(monkeypatch, opened)
        r = await client.get(f"{ROOT}/health/ready")
        live = await client.get(f"{ROOT}/health/live")
    assert r.status_code == 200, r.text
    assert pinged == [opened.app.state.services.client]  # ready pinged once, live not at all
    assert live.status_code == 200


async def test_unready_when_the_ping_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fails(client: object) -> None:
        raise ConnectionError("mongodb://user:secret@db:27017 refused")

    monkeypatch.setattr(health, "ping", fails)
    opened = api_client(make_settings())
    async with opened as client:
        await _on_mongodb(monkeypatch, opened)
        r = await client.get(f"{ROOT}/health/ready")
        live = await client.get(f"{ROOT}/health/live")
    assert r.status_code == 503, r.text
    assert r.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert "secret" not in r.text
    assert live.status_code == 200  # a down database is no reason to restart the process


async def test_unready_when_the_ping_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hangs(client: object) -> None:
        await asyncio.sleep(60)

    monkeypatch.setattr(health, "ping", hangs)
    monkeypatch.setattr(health, "PING_TIMEOUT_SECONDS", 0.05)
    opened = api_client(make_settings())
    async with opened as client:
        await _on_mongodb(monkeypatch, opened)
        r = await client.get(f"{ROOT}/health/ready")
    assert r.status_code == 503, r.text
    assert r.json() == {"status": "unavailable", "reason": "database did not answer in time"}


async def test_unready_before_start_up_finishes() -> None:
    assert await health.unready_reason(None) == "starting"


async def test_the_ping_is_mongodbs_ping_command() -> None:
    class Admin:
        sent: list[str] = []  # noqa: RUF012

        async def command(self, name: str) -> dict[str, int]:
            self.sent.append(name)
            return {"ok": 1}

    class Client:
        admin = Admin()

    await health.ping(Client())
    assert Admin.sent == ["ping"]
