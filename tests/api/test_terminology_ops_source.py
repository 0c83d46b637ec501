"""The operations ask the configured terminology source: the local one on the event loop, one
with an external server (which may block on the network) in a worker thread."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from gateway.jsonio import Json
from gateway.services import terminology_ops
from tests.conftest import api_client, make_settings


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
