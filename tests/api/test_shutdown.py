"""Graceful shutdown: a transaction in flight finishes and is stored before the store closes;
readiness answers 503 while the app drains; a write past the grace is named at ERROR."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from gateway.cli import main
from gateway.http.routes import bundles
from tests.conftest import api_client, make_settings

ROOT = "http://test"
TRANSACTION = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [
        {
            "resource": {"resourceType": "Patient", "id": "slow", "gender": "female"},
            "request": {"method": "PUT", "url": "Patient/slow"},
        }
    ],
}


def held_transactions(monkeypatch: pytest.MonkeyPatch) -> tuple[asyncio.Event, asyncio.Event]:
    """Transactions wait for `release` before they are processed; `arrived` says one waits."""
    arrived, release = asyncio.Event(), asyncio.Event()
    process: Callable[..., Awaitable[Any]] = bundles.process

    async def held(*args: Any, **kwargs: Any) -> Any:
        arrived.set()
        await release.wait()
        return await process(*args, **kwargs)

    monkeypatch.setattr(bundles, "process", held)
    return arrived, release


async def test_a_transaction_in_flight_completes_and_is_stored_before_the_store_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arrived, release = held_transactions(monkeypatch)
    opened = api_client(make_settings(audit=True))
    client = await opened.__aenter__()
    app = opened.app
    assert (await client.get(f"{ROOT}/health/ready")).status_code == 200
    transaction = asyncio.create_task(client.post("", json=TRANSACTION))
    await arrived.wait()
    shutdown = asyncio.create_task(opened.manager.__aexit__(None, None, None))
    await asyncio.sleep(0.05)
    assert not shutdown.done()  # the lifespan waits for the write
    ready = await client.get(f"{ROOT}/health/ready")
    assert (ready.status_code, ready.json()) == (
        503, {"status": "unavailable", "reason": "shutting down"}
    )  # fmt: skip
    writer = app.state.auditor.writer
    release.set()
    answer = await transaction
    assert answer.status_code == 200, answer.text
    assert answer.json()["entry"][0]["response"]["status"].startswith("201")
    await shutdown
    await opened.client.aclose()
    stored = await app.state.services.store("Patient").current("slow")
    assert stored is not None
    assert stored.resource["gender"] == "female"
    assert app.state.drain.writes == 0
    assert writer.pending == 0  # the transaction's audit event was flushed, not dropped
    events = await app.state.services.storage.audit.collection.count_documents({})
    assert events == 1  # the transaction's (the probes are not audited)


async def test_writes_past_the_grace_are_named_at_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    arrived, release = held_transactions(monkeypatch)
    opened = api_client(make_settings(shutdown_grace_seconds=0.1))
    client = await opened.__aenter__()
    transaction = asyncio.create_task(client.post("", json=TRANSACTION))
    await arrived.wait()
    with caplog.at_level(logging.ERROR, logger="gateway.http.shutdown"):
        await opened.manager.__aexit__(None, None, None)  # returns after the grace
    assert [r.getMessage() for r in caplog.records if r.name == "gateway.http.shutdown"] == [
        "Shutdown grace of 0.1 s exceeded: 1 write request(s) still in flight were cut"
        " (SHUTDOWN_GRACE_SECONDS)."
    ]
    release.set()
    await asyncio.gather(transaction, return_exceptions=True)  # let it end, whatever it says
    await opened.client.aclose()


async def test_reads_are_not_waited_for() -> None:
    opened = api_client(make_settings(shutdown_grace_seconds=5))
    async with opened as client:
        assert (await client.get("/Patient/x")).status_code == 404
        assert opened.app.state.drain.writes == 0


def test_serve_gives_uvicorn_the_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: ran.update(kwargs))
    monkeypatch.setattr(main.logging.config, "dictConfig", lambda config: None)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    result = CliRunner().invoke(main.cli, ["serve"], env={"SHUTDOWN_GRACE_SECONDS": "7.5"})
    assert result.exit_code == 0, result.output
    assert ran["timeout_graceful_shutdown"] == 8  # uvicorn takes whole seconds: rounded up
    default = CliRunner().invoke(main.cli, ["serve"], env={})
    assert default.exit_code == 0, default.output
    assert ran["timeout_graceful_shutdown"] == 25
