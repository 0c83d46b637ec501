"""The operations ask the configured terminology source: the local one on the event loop, one
with an external server (which may block on the network) in a worker thread."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from fhir_profiles.canonical import held
from gateway.jsonio import Json
from gateway.services import terminology_ops
from gateway.terminology import ChainedSource, LocalSource, RemoteSource
from tests.conftest import api_client, make_settings
from tests.terminology.fake_server import BASE, COLOURS, COLOURS_VS, client, handler


class FakeSource:
    """Answers every $expand with an empty expansion, noting the server and the thread asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str, bool]] = []
        self.server: str | None = None

    def expand(self, url: str, **options: Any) -> Json:
        on_main = threading.current_thread() is threading.main_thread()
        self.calls.append((self.server, url, on_main))
        return {"resourceType": "ValueSet", "url": url, "expansion": {"total": 0}}


@pytest.mark.parametrize(
    ("server", "on_main"),
    [
        pytest.param(None, True, id="local-on-the-loop"),
        pytest.param("https://tx.example.org/fhir", False, id="remote-in-a-thread"),
    ],
)
async def test_the_source_is_the_settings_and_a_remote_one_runs_in_a_thread(
    monkeypatch: pytest.MonkeyPatch, server: str | None, on_main: bool
) -> None:
    fake = FakeSource()

    def source_for(url: str | None) -> FakeSource:
        fake.server = url
        return fake

    monkeypatch.setattr(terminology_ops, "source_for", source_for)
    async with api_client(make_settings(terminology_server_url=server)) as client:
        response = await client.get("/ValueSet/$expand?url=http://example.org/vs")
    assert response.status_code == 200, response.text
    assert response.json()["expansion"] == {"total": 0}
    assert fake.calls == [(server, "http://example.org/vs", on_main)]


async def test_a_value_set_not_held_is_answered_by_the_configured_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end over HTTP, with the fake terminology server of tests/terminology."""
    calls: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return handler(request)

    chained = ChainedSource(LocalSource(held()), RemoteSource(BASE, client=client(recording)))
    monkeypatch.setattr(terminology_ops, "source_for", lambda url: chained if url == BASE else None)
    async with api_client(make_settings(terminology_server_url=BASE)) as api:
        expanded = (await api.get(f"/ValueSet/$expand?url={COLOURS_VS}")).json()
        assert [c["code"] for c in expanded["expansion"]["contains"]] == ["red", "blue", "crimson"]
        checked = await api.get(
            f"/ValueSet/$validate-code?url={COLOURS_VS}&system={COLOURS}&code=red"
        )
        assert checked.json()["parameter"][0] == {"name": "result", "valueBoolean": True}
        remote = len(calls)
        held_vs = "http://hl7.org/fhir/ValueSet/administrative-gender"
        assert (await api.get(f"/ValueSet/$expand?url={held_vs}")).status_code == 200
        assert len(calls) == remote  # what the gateway holds never reaches the server
        unknown = await api.get("/ValueSet/$expand?url=http://example.org/none")
        assert unknown.status_code == 400
