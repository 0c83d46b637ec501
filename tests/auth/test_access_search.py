"""Type searches, chains, `_has`, includes and `$lastn` answer only what the grant covers
(gateway.services.access: the "s" clause in the query, `visible("r")` for includes)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from gateway.errors import Forbidden
from gateway.jsonio import Json
from gateway.search.request import parse
from gateway.services.access import Access, acting_as
from gateway.services.lastn import lastn
from gateway.services.searchset import bundle_of, searchset
from tests.auth.access_population import BASE, RESOURCES, Population, access, ids, population

__all__ = ["population"]  # the fixture, imported for pytest

P1_OBSERVATIONS = ["Observation/o1-hba1c", "Observation/o1-lab", "Observation/o1-vital"]
ALL_OBSERVATIONS = sorted([*P1_OBSERVATIONS, "Observation/o2-lab", "Observation/o2-vital"])


async def search(population: Population, who: Access, resource_type: str, query: str = "") -> Json:
    searched = parse(
        resource_type, parse_qsl(query, keep_blank_values=True), default_count=50, max_count=100
    )
    with acting_as(who):
        return await searchset(population.services, searched, base=BASE)


@pytest.mark.parametrize(
    ("scope", "patient", "expected"),
    [
        pytest.param("patient/Observation.rs", "p1", P1_OBSERVATIONS, id="patient-v2"),
        pytest.param("patient/Observation.read", "p1", P1_OBSERVATIONS, id="patient-v1"),
        pytest.param(
            "patient/*.rs",
            "p2",
            ["Observation/o2-lab", "Observation/o2-vital"],
            id="patient-wildcard",
        ),
        pytest.param(
            "patient/Observation.rs?category=laboratory",
            "p1",
            ["Observation/o1-hba1c", "Observation/o1-lab"],
            id="patient-query",
        ),
        pytest.param(
            "user/Observation.rs?category=laboratory",
            None,
            ["Observation/o1-hba1c", "Observation/o1-lab", "Observation/o2-lab"],
            id="user-query",
        ),
        pytest.param("user/Observation.rs", None, ALL_OBSERVATIONS, id="user"),
        pytest.param("system/*.read", None, ALL_OBSERVATIONS, id="system-v1"),
        pytest.param(
            "patient/Observation.rs?category=vital-signs patient/Observation.rs?code=718-7",
            "p1",
            ["Observation/o1-lab", "Observation/o1-vital"],
            id="two-queries-or",
        ),
    ],
)
async def test_a_search_finds_what_the_grant_covers_and_counts_only_that(
    population: Population, scope: str, patient: str | None, expected: list[str]
) -> None:
    bundle = await search(population, access(scope, patient), "Observation")
    assert (ids(bundle), bundle["total"]) == (expected, len(expected))


async def test_pages_and_totals_under_a_patient_token(population: Population) -> None:
    who = access("patient/Observation.rs", "p1")
    first = await search(population, who, "Observation", "_count=2&_sort=_id")
    assert (ids(first), first["total"]) == (["Observation/o1-hba1c", "Observation/o1-lab"], 3)
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = await search(population, who, "Observation", urlsplit(following).query)
    assert (ids(second), second["total"]) == (["Observation/o1-vital"], 3)
    assert "next" not in {link["relation"] for link in second["link"]}
    summary = await search(population, who, "Observation", "_summary=count")
    assert summary["total"] == 3


async def test_asking_for_another_patient_is_an_empty_result_not_an_error(
    population: Population,
) -> None:
    who = access("patient/*.rs", "p1")
    assert (await search(population, who, "Observation", "subject=Patient/p2"))["total"] == 0
    assert (await search(population, who, "Patient", "_id=p2"))["total"] == 0
    assert ids(await search(population, who, "Patient")) == ["Patient/p1"]


@pytest.mark.parametrize(
    ("scope", "resource_type", "patient"),
    [
        ("patient/Observation.rs", "Encounter", "p1"),
        ("patient/Observation.r", "Observation", "p1"),  # read, not search
        ("user/Observation.cud", "Observation", "p1"),
        ("launch/patient openid", "Observation", "p1"),
        ("patient/Observation.rs", "Observation", None),  # a patient scope without a patient
    ],
)
async def test_a_type_the_token_may_not_search_is_forbidden(
    population: Population, scope: str, resource_type: str, patient: str | None
) -> None:
    with pytest.raises(Forbidden) as caught:
        await search(population, access(scope, patient), resource_type)
    assert caught.value.status == 403


async def test_a_chain_cannot_match_on_what_the_token_may_not_search(
    population: Population,
) -> None:
    query = "subject:Patient.name=Beta"
    assert ids(await search(population, access("user/*.rs", None), "Observation", query)) == [
        "Observation/o2-lab",
        "Observation/o2-vital",
    ]
    # The matches would be p2's observations, which a user/Observation scope may see; the chain
    # through Patient, which this token may not search, matches nothing.
    only_observations = access("user/Observation.rs", None)
    assert ids(await search(population, only_observations, "Observation", query)) == []
    # Another patient's name, by a token for p1 that may search every Observation.
    mixed = access("user/Observation.rs patient/Patient.rs", "p1")
    assert ids(await search(population, mixed, "Observation", query)) == []
    assert ids(await search(population, mixed, "Observation", "subject:Patient.name=Alpha")) == (
        P1_OBSERVATIONS
    )


async def test_has_cannot_match_on_what_the_token_may_not_search(population: Population) -> None:
    query = "_has:Observation:subject:code=718-7"
    both = await search(
        population, access("user/Patient.rs user/Observation.rs", None), "Patient", query
    )
    assert ids(both) == ["Patient/p1", "Patient/p2"]
    no_observations = access("user/Patient.rs", None)
    assert ids(await search(population, no_observations, "Patient", query)) == []
    own_observations = access("user/Patient.rs patient/Observation.rs", "p1")
    assert ids(await search(population, own_observations, "Patient", query)) == ["Patient/p1"]


async def test_includes_hold_only_what_the_token_may_read(population: Population) -> None:
    who = access("user/Observation.rs patient/Patient.r", "p1")
    bundle = await search(population, who, "Observation", "code=718-7&_include=Observation:subject")
    assert ids(bundle) == ["Observation/o1-lab", "Observation/o2-lab"]
    assert ids(bundle, "include") == ["Patient/p1"]
    # A type the token may not read at all is never included.
    practitioner = await search(population, who, "Observation", "_include=Observation:performer")
    assert ids(practitioner, "include") == []


async def test_revincludes_hold_only_what_the_token_may_read(population: Population) -> None:
    who = access("user/Patient.rs patient/Observation.r", "p1")
    bundle = await search(population, who, "Patient", "_revinclude=Observation:subject")
    assert ids(bundle) == ["Patient/p1", "Patient/p2"]
    assert ids(bundle, "include") == P1_OBSERVATIONS
    no_conditions = await search(population, who, "Patient", "_revinclude=Condition:subject")
    assert ids(no_conditions, "include") == []


async def test_iterate_does_not_follow_what_the_token_may_not_read(
    population: Population,
) -> None:
    """o2-lab -> e2 (hidden: Encounters are readable as p1's only) -> p2 (readable): p2 is not
    reached through e2."""
    who = access("user/Observation.rs patient/Encounter.r user/Patient.r", "p1")
    query = "_id=o1-lab,o2-lab&_include=Observation:encounter&_include:iterate=Encounter:subject"
    bundle = await search(population, who, "Observation", query)
    assert ids(bundle) == ["Observation/o1-lab", "Observation/o2-lab"]
    assert ids(bundle, "include") == ["Encounter/e1", "Patient/p1"]
    everyone = await search(population, access("user/*.rs", None), "Observation", query)
    assert ids(everyone, "include") == ["Encounter/e1", "Encounter/e2", "Patient/p1", "Patient/p2"]


@pytest.mark.parametrize(
    "scope",
    [
        "patient/*.rs",
        "patient/Observation.rs?category=laboratory patient/Patient.rs",
        "user/Observation.rs?code=http://loinc.org|718-7 user/Condition.rs",
        "patient/Observation.rs?category=vital-signs user/Encounter.rs",
    ],
)
async def test_the_clause_and_the_in_memory_check_agree_on_the_fixtures(
    population: Population, scope: str
) -> None:
    """What the query's clause finds is exactly what `may("s", ...)` admits of everything."""
    who = access(scope, "p1")
    for resource_type in sorted({r["resourceType"] for r in RESOURCES}):
        if not who.allows("s", resource_type):
            continue
        stored = [r for r in RESOURCES if r["resourceType"] == resource_type]
        admitted = sorted(f"{resource_type}/{r['id']}" for r in stored if who.may("s", r))
        assert ids(await search(population, who, resource_type)) == admitted, resource_type


async def test_lastn_answers_only_the_tokens_observations(population: Population) -> None:
    searched = parse("Observation", [], default_count=50, max_count=100)
    with acting_as(access("patient/Observation.rs", "p1")):
        result = await lastn(population.services, searched, max_per_code=1, base_urls=(BASE,))
    bundle = bundle_of(searched, result, {}, base=BASE)
    assert ids(bundle) == P1_OBSERVATIONS
    with acting_as(access("patient/Observation.rs?category=laboratory", "p2")):
        result = await lastn(population.services, searched, max_per_code=1, base_urls=(BASE,))
    assert [v.id for v in result.matches] == ["o2-lab"]
    with acting_as(access("patient/Encounter.rs", "p1")), pytest.raises(Forbidden):
        await lastn(population.services, searched, max_per_code=1, base_urls=(BASE,))
