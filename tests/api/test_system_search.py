"""search-system: `GET [base]?_type=...` and `POST [base]/_search` (http.html#search)."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.api.clock import Clock, at, clock
from tests.api.test_errors import issue, outcome

__all__ = ["clock"]  # the fixture, used by name

TAG = {"system": "http://example.org/tags", "code": "review"}
WRITES: list[tuple[int, Json]] = [  # (minute, resource)
    (0, {"resourceType": "Patient", "id": "p1", "meta": {"tag": [TAG]}}),
    (1, {"resourceType": "Patient", "id": "p2"}),
    (2, {"resourceType": "Condition", "id": "c1", "meta": {"tag": [TAG]},
         "subject": {"reference": "Patient/p1"}}),
    (3, {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"},
         "subject": {"reference": "Patient/p1"}}),
    (4, {"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/p2"}}),
    # The same id in two types, written in the same millisecond: only the type tells them apart.
    (5, {"resourceType": "Patient", "id": "same"}),
    (5, {"resourceType": "Condition", "id": "same", "subject": {"reference": "Patient/p2"}}),
]  # fmt: skip


@pytest.fixture
async def population(api: AsyncClient, clock: Clock) -> AsyncClient:
    for minute, resource in WRITES:
        clock.minute(minute)
        response = await api.put(f"/{resource['resourceType']}/{resource['id']}", json=resource)
        assert response.status_code == 201, response.text
    return api


def keys(bundle: Json, mode: str = "match") -> list[str]:
    return [
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e["search"]["mode"] == mode
    ]


def link(bundle: Json, relation: str) -> str | None:
    """The link's URL, as served (`http://test/fhir?...`: the base without a slash)."""
    return next((x["url"] for x in bundle["link"] if x["relation"] == relation), None)


async def search(api: AsyncClient, query: str, **headers: str) -> Json:
    response = await api.get(f"/?{query}", headers=headers)
    assert response.status_code == 200, response.text
    bundle: Json = response.json()
    assert bundle["type"] == "searchset"
    return bundle


async def test_types_and_last_updated_prefixes(population: AsyncClient) -> None:
    query = f"_type=Patient,Condition&_lastUpdated=ge{at(1)}&_lastUpdated=lt{at(5)}&_sort=_id"
    bundle = await search(population, query)
    assert keys(bundle) == ["Condition/c1", "Condition/c2", "Patient/p2"]
    assert bundle["total"] == 3
    later = await search(population, f"_type=Observation,Condition&_lastUpdated=gt{at(3)}")
    assert sorted(keys(later)) == ["Condition/c2", "Condition/same"]


async def test_without_type_every_type_holding_resources_is_searched(
    population: AsyncClient,
) -> None:
    bundle = await search(population, "_id=same,o1")
    assert sorted(keys(bundle)) == ["Condition/same", "Observation/o1", "Patient/same"]


async def test_tag_and_id_across_types(population: AsyncClient) -> None:
    tagged = await search(population, f"_tag={TAG['system']}|{TAG['code']}")
    assert sorted(keys(tagged)) == ["Condition/c1", "Patient/p1"]
    by_id = await search(population, "_type=Patient,Observation&_id=o1,p2,c1")
    assert sorted(keys(by_id)) == ["Observation/o1", "Patient/p2"]


async def test_a_parameter_every_named_type_has_selects(population: AsyncClient) -> None:
    bundle = await search(population, "_type=Condition,Observation&patient=Patient/p1")
    assert sorted(keys(bundle)) == ["Condition/c1", "Observation/o1"]


async def test_sort_newest_first_merges_the_types(population: AsyncClient) -> None:
    bundle = await search(population, "_sort=-_lastUpdated")
    assert keys(bundle) == [
        "Condition/same", "Patient/same", "Condition/c2", "Observation/o1", "Condition/c1",
        "Patient/p2", "Patient/p1",
    ]  # fmt: skip
    oldest = await search(population, "_sort=_lastUpdated&_count=3")
    assert keys(oldest) == ["Patient/p1", "Patient/p2", "Condition/c1"]


@pytest.mark.parametrize("sort", ["", "_sort=-_lastUpdated&", "_sort=_lastUpdated&", "_sort=-_id&"])
@pytest.mark.parametrize("count", [1, 2, 3])
async def test_paging_gives_each_match_once_and_goes_back(
    population: AsyncClient, sort: str, count: int
) -> None:
    everything = keys(await search(population, f"{sort}_count=100"))
    assert len(everything) == len(WRITES)
    pages: list[list[str]] = []
    query: str | None = f"/?{sort}_count={count}"
    while query is not None:
        response = await population.get(query)
        assert response.status_code == 200, response.text
        bundle = response.json()
        assert bundle["total"] == len(WRITES)
        pages.append(keys(bundle))
        assert len(pages[-1]) == min(count, len(WRITES) - count * (len(pages) - 1))
        query = link(bundle, "next")
        if len(pages) > 1:  # the previous link leads to the page before, exactly
            previous = link(bundle, "previous")
            assert previous is not None
            assert keys((await population.get(previous)).json()) == pages[-2]
    assert [key for page in pages for key in page] == everything


async def test_count_total_summary_elements_and_include(population: AsyncClient) -> None:
    counted = await search(population, "_type=Patient,Condition&_summary=count")
    assert (counted["total"], counted.get("entry")) == (6, None)
    untotalled = await search(population, "_type=Patient&_total=none&_count=1")
    assert "total" not in untotalled
    assert link(untotalled, "next") is not None
    elements = await search(population, "_type=Condition&_id=c1&_elements=subject")
    [entry] = elements["entry"]
    assert set(entry["resource"]) == {"resourceType", "id", "meta", "subject"}
    included = await search(
        population, "_type=Condition,Observation&_id=c1,o1&_include=Condition:patient"
    )
    assert sorted(keys(included)) == ["Condition/c1", "Observation/o1"]
    assert keys(included, "include") == ["Patient/p1"]


async def test_post_search_takes_a_form(population: AsyncClient) -> None:
    response = await population.post(
        "/_search",
        content="_type=Condition&patient=Patient/p2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert sorted(keys(response.json())) == ["Condition/c2", "Condition/same"]
    assert link(response.json(), "self") == (
        "http://test/fhir?_type=Condition&patient=Patient/p2&_count=20"
    )


async def test_an_unknown_parameter_is_ignored_with_a_warning_or_refused_when_strict(
    population: AsyncClient,
) -> None:
    bundle = await search(population, "_type=Patient&nonsense=1")
    assert len(keys(bundle)) == 3
    [warning] = [e for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert "`nonsense`" in warning["resource"]["issue"][0]["diagnostics"]
    strict = await population.get(
        "/?_type=Patient&nonsense=1", headers={"Prefer": "handling=strict"}
    )
    assert strict.status_code == 400
    assert strict.json()["issue"][0]["expression"] == ["nonsense"]


@pytest.mark.parametrize(
    ("query", "expression", "diagnostics"),
    [
        ("_type=Nope", "_type", "_type `Nope` is not a resource type this server keeps."),
        ("_type=Patient,Condition&family=x", "family",
         "`family` is not a parameter of every type searched (not of Condition); a system search "
         "takes the parameters common to all."),
        ("patient=Patient/p1", "patient",
         "`patient` is not a parameter of every type searched (not of ActivityDefinition, "
         "AdverseEvent, Binary); a system search takes the parameters common to all."),
        ("_type=Patient&_sort=family", "_sort",
         "A system search sorts by _id or _lastUpdated, not `family`."),
        ("_cursor=nonsense", "_cursor",
         "The `_cursor` is not one this server issued for this search."),
        ("_lastUpdated=yesterday", "_lastUpdated",
         "Invalid date `yesterday` for parameter `_lastUpdated`."),
        ("_count=-1", "_count", "_count `-1` is not a non-negative integer."),
    ],
)  # fmt: skip
async def test_bad_input_is_a_400_naming_it(
    population: AsyncClient, query: str, expression: str, diagnostics: str
) -> None:
    response = await population.get(f"/?{query}")
    assert response.status_code == 400
    assert response.json() == outcome(issue("invalid", diagnostics, expression=expression))


async def test_a_cursor_of_another_shape_is_a_400(population: AsyncClient) -> None:
    first = await search(population, "_sort=-_lastUpdated&_count=1")
    cursor = (link(first, "next") or "").split("_cursor=")[1]
    response = await population.get(f"/?_sort=_id&_cursor={cursor}")
    assert response.status_code == 400
