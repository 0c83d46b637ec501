"""`:in` and `:below` through the search endpoint with TERMINOLOGY_SERVER_URL set: the value set
and the code system live only on the (fake) terminology server."""

from __future__ import annotations

import pytest

from fhir_profiles.canonical import held
from gateway.terminology import ChainedSource, LocalSource, RemoteSource, TerminologySource
from tests.conftest import api_client, make_settings
from tests.terminology.fake_server import BASE, COLOURS, COLOURS_VS, client


async def test_search_asks_the_configured_server(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str | None] = []

    def source_for(server_url: str | None) -> TerminologySource:
        asked.append(server_url)
        return ChainedSource(LocalSource(held()), RemoteSource(server_url or "", client=client()))

    monkeypatch.setattr("gateway.services.search.source_for", source_for)
    async with api_client(make_settings(terminology_server_url=BASE)) as api:
        for id_, code in (("o-red", "red"), ("o-crimson", "crimson"), ("o-green", "green")):
            observation = {"resourceType": "Observation", "id": id_, "status": "final",
                           "code": {"coding": [{"system": COLOURS, "code": code}]}}  # fmt: skip
            assert (await api.put(f"/Observation/{id_}", json=observation)).status_code == 201
        found = {}
        for params in ({"code:in": COLOURS_VS}, {"code:below": f"{COLOURS}|red"}):
            response = await api.get("/Observation", params=params)
            assert response.status_code == 200, response.text
            found[next(iter(params))] = sorted(
                e["resource"]["id"] for e in response.json()["entry"]
            )
    assert found == {"code:in": ["o-crimson", "o-red"], "code:below": ["o-crimson", "o-red"]}
    assert set(asked) == {BASE}
