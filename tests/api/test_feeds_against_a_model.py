"""System search and the history feed against a model of the writes: random creates, updates and
deletes of three types, many in the same instant and sharing ids, then every page size; each
page sequence must give the model's order, each entry once (keyset paging over ties)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.api.clock import START, Clock, at, clock

__all__ = ["clock"]  # the fixture, used by name

TYPES = ("Condition", "Observation", "Patient")
IDS = ("a", "b", "c")
Entry = tuple[str, str, int]  # (Type/id, method, version)


@dataclass
class Model:
    """Every version written: (lastUpdated, type, id, version, method)."""

    versions: list[tuple[datetime, str, str, int, str]] = field(default_factory=list)

    def latest(self, key: tuple[str, str]) -> tuple[datetime, str, str, int, str] | None:
        mine = [v for v in self.versions if v[1:3] == key]
        return max(mine, key=lambda v: v[3]) if mine else None

    def history(self) -> list[Entry]:
        ordered = sorted(self.versions, key=lambda v: v[:4], reverse=True)
        return [(f"{t}/{i}", method, n) for _, t, i, n, method in ordered]

    def current_at(self, instant: datetime) -> list[Entry]:
        chosen = {}
        for version in self.versions:
            if version[0] <= instant:
                key = version[1:3]
                if key not in chosen or chosen[key][3] < version[3]:
                    chosen[key] = version
        alive = [v for v in chosen.values() if v[4] != "DELETE"]
        return [(f"{t}/{i}", m, n) for _, t, i, n, m in sorted(alive, key=lambda v: v[:4], reverse=True)]  # fmt: skip

    def current(self) -> list[tuple[datetime, str, str]]:
        keys = {v[1:3] for v in self.versions}
        latest = [self.latest(key) for key in keys]
        return [(v[0], v[1], v[2]) for v in latest if v is not None and v[4] != "DELETE"]


def resource(resource_type: str, resource_id: str, n: int) -> Json:
    """A valid resource whose content differs with `n` (an unchanged PUT makes no version)."""
    body: Json = {"resourceType": resource_type, "id": resource_id}
    if resource_type == "Patient":
        body["name"] = [{"family": f"F{n}"}]
    elif resource_type == "Condition":
        body.update(subject={"reference": "Patient/a"}, code={"text": f"c{n}"})
    else:
        body.update(status="final", code={"text": f"o{n}"})
    return body


async def write_randomly(api: AsyncClient, clock: Clock, seed: int) -> Model:
    rng, model, minute = random.Random(seed), Model(), 0
    for n in range(24):
        minute += rng.choice((0, 0, 1))  # many writes share an instant
        clock.minute(minute)
        key = (rng.choice(TYPES), rng.choice(IDS))
        path = f"/{key[0]}/{key[1]}"
        latest = model.latest(key)
        if latest is not None and latest[4] != "DELETE" and rng.random() < 0.3:
            assert (await api.delete(path)).status_code == 204
            method = "DELETE"
        else:
            response = await api.put(path, json=resource(*key, n))
            assert response.status_code in (200, 201), response.text
            method = "PUT"
        version = latest[3] + 1 if latest else 1
        model.versions.append((clock.now, key[0], key[1], version, method))
    return model


async def pages(api: AsyncClient, url: str) -> list[Json]:
    found = []
    next_url: str | None = url
    while next_url:
        response = await api.get(next_url)
        assert response.status_code == 200, response.text
        found.append(response.json())
        links = {x["relation"]: x["url"] for x in found[-1].get("link", [])}
        next_url = links.get("next")
    return found


def history_entries(bundles: list[Json]) -> list[Entry]:
    return [
        (e["fullUrl"].removeprefix("http://test/fhir/"), e["request"]["method"],
         int(e["response"]["etag"][3:-1]))
        for bundle in bundles for e in bundle.get("entry", [])
    ]  # fmt: skip


def search_entries(bundles: list[Json]) -> list[str]:
    return [
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for bundle in bundles
        for e in bundle.get("entry", [])
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_feeds_page_as_the_model_orders(api: AsyncClient, clock: Clock, seed: int) -> None:
    model = await write_randomly(api, clock, seed)
    expected = model.history()
    for count in (1, 2, 5):
        assert history_entries(await pages(api, f"/_history?_count={count}")) == expected
    for resource_type in TYPES:
        mine = [e for e in expected if e[0].startswith(resource_type + "/")]
        assert history_entries(await pages(api, f"/{resource_type}/_history?_count=2")) == mine
    last = max(v[0] for v in model.versions)
    for minute in range(0, (last - START).seconds // 60 + 1):
        instant = at(minute, seconds=30)
        expected_at = model.current_at(datetime.fromisoformat(instant[:-1]))
        found = history_entries(await pages(api, f"/_history?_at={instant}&_count=2"))
        assert found == expected_at, instant
    current = model.current()
    newest = [f"{t}/{i}" for _, t, i in sorted(current, key=lambda c: (-c[0].timestamp(), c[2], c[1]))]  # fmt: skip
    for count in (1, 3):
        bundles = await pages(api, f"/?_sort=-_lastUpdated&_count={count}")
        assert search_entries(bundles) == newest
        assert {b["total"] for b in bundles} == {len(newest)}
    by_id = [f"{t}/{i}" for _, t, i in sorted(current, key=lambda c: (c[2], c[1]))]
    assert (
        search_entries(await pages(api, "/?_type=Patient,Condition,Observation&_count=2")) == by_id
    )
