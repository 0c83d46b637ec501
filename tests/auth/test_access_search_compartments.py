"""Compartment search, `$everything`, system search and history answer only what the grant
covers: another patient's compartment is an empty searchset, never a 403 and never data."""

from __future__ import annotations

import pytest

from gateway.errors import Forbidden, NotFound
from gateway.jsonio import Json
from gateway.search.request import parse
from gateway.services import everything
from gateway.services.access import Access, acting_as
from gateway.services.compartment_search import compartment_search
from gateway.services.generic import kept_types
from gateway.services.history_feed import history_feed, parse_history
from gateway.services.system_search import parse_system, search_system
from gateway.services.transaction import process
from tests.auth.access_population import BASE, Population, access, ids, observation, population

__all__ = ["population"]  # the fixture, imported for pytest

P1_RECORD = [
    "Condition/c1",
    "Encounter/e1",
    "Observation/o1-hba1c",
    "Observation/o1-lab",
    "Observation/o1-vital",
    "Patient/p1",
]


async def in_compartment(population: Population, who: Access, patient: str, kind: str) -> Json:
    searched = parse(kind, [], default_count=50, max_count=100)
    with acting_as(who):
        return await compartment_search(
            population.services, "Patient", patient, searched, base=BASE
        )


async def test_a_compartment_search_of_another_patient_is_empty(population: Population) -> None:
    who = access("patient/*.rs", "p1")
    own = await in_compartment(population, who, "p1", "Observation")
    assert (ids(own), own["total"]) == (
        ["Observation/o1-hba1c", "Observation/o1-lab", "Observation/o1-vital"],
        3,
    )
    other = await in_compartment(population, who, "p2", "Observation")
    assert (other["type"], other["total"], other.get("entry", [])) == ("searchset", 0, [])
    with pytest.raises(Forbidden):
        await in_compartment(population, access("patient/Observation.rs", "p1"), "p1", "Encounter")


async def run_everything(population: Population, who: Access, patient: str | None) -> Json:
    request = everything.parse(
        [], patient_id=patient, default_count=50, max_count=100, kept=kept_types()
    )
    with acting_as(who):
        return await everything.everything(population.services, request, base=BASE)


async def test_everything_holds_the_tokens_own_record_only(population: Population) -> None:
    who = access("patient/*.rs", "p1")
    own = await run_everything(population, who, "p1")
    assert (ids(own), own["total"]) == (P1_RECORD, 6)
    assert ids(await run_everything(population, who, None)) == P1_RECORD
    other = await run_everything(population, who, "p2")
    assert (other["total"], other.get("entry", [])) == (0, [])
    # An unknown patient looks like another's: nothing, rather than a 404 telling it apart.
    assert (await run_everything(population, who, "nobody"))["total"] == 0


async def test_everything_passes_by_the_types_the_token_may_not_search(
    population: Population,
) -> None:
    observations = await run_everything(population, access("patient/Observation.rs", "p1"), "p1")
    assert ids(observations) == [
        "Observation/o1-hba1c",
        "Observation/o1-lab",
        "Observation/o1-vital",
    ]
    labs = access("user/Patient.rs user/Observation.rs?category=laboratory", None)
    assert ids(await run_everything(population, labs, "p2")) == ["Observation/o2-lab", "Patient/p2"]
    # A token that may search every Patient still learns of a missing one.
    with pytest.raises(NotFound):
        await run_everything(population, labs, "nobody")


async def system_search(population: Population, who: Access, query: list[tuple[str, str]]) -> Json:
    searched = parse_system(query, default_count=50, max_count=100)
    with acting_as(who):
        result = await search_system(population.services, searched, base_urls=(BASE,))
    return {
        "total": result.total,
        "matches": sorted(f"{v.resource_type}/{v.id}" for v in result.matches),
        "included": sorted(f"{v.resource_type}/{v.id}" for v in result.included),
    }


async def test_system_search_without_type_passes_by_types_not_allowed(
    population: Population,
) -> None:
    found = await system_search(population, access("patient/Observation.rs", "p1"), [])
    assert found["matches"] == [
        "Observation/o1-hba1c",
        "Observation/o1-lab",
        "Observation/o1-vital",
    ]
    assert found["total"] == 3
    patient = await system_search(population, access("patient/*.rs", "p1"), [])
    assert (patient["matches"], patient["total"]) == (P1_RECORD, 6)


async def test_system_search_naming_a_type_not_allowed_is_forbidden(
    population: Population,
) -> None:
    who = access("patient/Observation.rs", "p1")
    with pytest.raises(Forbidden):
        await system_search(population, who, [("_type", "Observation,Encounter")])
    found = await system_search(
        population,
        access("patient/Observation.rs patient/Patient.r", "p1"),
        [("_type", "Observation"), ("_include", "Observation:subject")],
    )
    assert found["matches"] == [
        "Observation/o1-hba1c",
        "Observation/o1-lab",
        "Observation/o1-vital",
    ]
    assert found["included"] == ["Patient/p1"]


async def history(
    population: Population, who: Access, kind: str | None
) -> tuple[list[str], int | None]:
    request = parse_history(kind, [], default_count=100, max_count=1000)
    with acting_as(who):
        page = await history_feed(population.services, request)
    return sorted(f"{v.resource_type}/{v.id}/{v.version_id}" for v in page.versions), page.total


async def test_history_shows_only_versions_inside_the_grant(population: Population) -> None:
    # o2-vital moves from p2 to p1 (version 2), o1-hba1c from p1 to p2; c1 and c2 are deleted.
    await population.put(observation("o2-vital", "p1", "vital-signs", "8867-4"))
    await population.put(observation("o1-hba1c", "p2", "laboratory", "4548-4"))
    await population.delete("Condition", "c1")
    await population.delete("Condition", "c2")

    observations, total = await history(population, access("patient/*.rs", "p1"), "Observation")
    assert observations == [
        "Observation/o1-hba1c/1",  # while it was p1's
        "Observation/o1-lab/1",
        "Observation/o1-vital/1",
        "Observation/o2-vital/2",  # since it is p1's
    ]
    assert total is None  # archived versions are judged one by one: not counted

    system, _ = await history(population, access("patient/*.rs", "p1"), None)
    assert system == sorted(
        [*observations, "Patient/p1/1", "Encounter/e1/1", "Condition/c1/1", "Condition/c1/2"]
    )  # c1's deletion (version 2) shows, as c1 was p1's; c2's does not

    only_observations, _ = await history(population, access("patient/Observation.rs", "p1"), None)
    assert only_observations == observations

    everyone, total = await history(population, access("user/Observation.rs", None), "Observation")
    assert (len(everyone), total) == (7, 7)  # 5 resources, 2 of them updated: not judged


async def test_history_of_a_type_not_allowed_is_forbidden(population: Population) -> None:
    with pytest.raises(Forbidden):
        await history(population, access("patient/Observation.rs", "p1"), "Encounter")


async def test_bundle_get_entries_are_checked_by_the_same_code(population: Population) -> None:
    """A batch's GET entries are the searches above: the same answers, a 403 for the entry
    alone."""
    urls = ["Observation", "Patient/p2/Observation", "Patient/p2/$everything", "Encounter"]
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
    }
    with acting_as(access("patient/Observation.rs patient/Patient.rs", "p1")):
        answer = await process(population.services, bundle, base_urls=(BASE,), representation=True)
    responses = [(e["response"]["status"], e.get("resource", {})) for e in answer["entry"]]
    assert [status for status, _ in responses] == ["200 OK", "200 OK", "200 OK", "403 Forbidden"]
    assert [resource.get("total") for _, resource in responses[:3]] == [3, 0, 0]
    assert ids(responses[0][1]) == [
        "Observation/o1-hba1c",
        "Observation/o1-lab",
        "Observation/o1-vital",
    ]
