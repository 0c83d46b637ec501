"""A batch resolves a conditional reference once, and never stale (http.html#brules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from gateway.services import conditional, resources
from gateway.services.context import Services
from gateway.services.transaction.batch_references import BatchReferences
from gateway.services.transaction.entries import Outcome
from gateway.services.transaction.execute import run_batch
from tests.services.transaction.conftest import BASE, MRN, entry, parsed, patient, weight

BY_MRN = f"Patient?identifier={MRN}|M-1"


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every conditional reference the store is searched for."""
    searched: list[str] = []
    original: Callable[..., Awaitable[str]] = conditional.resolve_reference

    async def counting(services: Services, reference: str, **options: object) -> str:
        searched.append(reference)
        return await original(services, reference, **options)

    monkeypatch.setattr(conditional, "resolve_reference", counting)
    return searched


async def stored(services: Services, resource_id: str, mrn: str) -> None:
    store = services.store("Patient")
    await resources.update(store, resource_id, patient(mrn, id=resource_id))


async def subject(services: Services, outcome: Outcome) -> str:
    assert outcome.version is not None, outcome
    version = await resources.read(services.store("Observation"), outcome.version.id)
    assert version.resource is not None
    return str(version.resource["subject"]["reference"])


def statuses(outcomes: list[Outcome]) -> list[str]:
    return [outcome.status for outcome in outcomes]


async def test_a_reference_named_by_every_entry_is_searched_once(
    services: Services, lookups: list[str]
) -> None:
    await stored(services, "p-1", "M-1")
    entries = parsed(
        *[entry("POST", "Observation", weight(BY_MRN)) for _ in range(5)], kind="batch"
    )
    outcomes = await run_batch(services, entries, (BASE,))
    assert statuses(outcomes) == ["201 Created"] * 5
    assert [await subject(services, o) for o in outcomes] == ["Patient/p-1"] * 5
    assert lookups == [BY_MRN]


async def test_an_absolute_reference_to_this_server_is_shared_too(
    services: Services, lookups: list[str]
) -> None:
    await stored(services, "p-1", "M-1")
    absolute = f"{BASE}/{BY_MRN}"
    entries = parsed(
        *[entry("POST", "Observation", weight(absolute)) for _ in range(3)], kind="batch"
    )
    outcomes = await run_batch(services, entries, (BASE,))
    assert [await subject(services, o) for o in outcomes] == ["Patient/p-1"] * 3
    assert len(lookups) == 1


async def test_a_deleted_match_is_not_named_by_later_entries(
    services: Services, lookups: list[str]
) -> None:
    await stored(services, "p-1", "M-1")
    entries = parsed(
        entry("POST", "Observation", weight(BY_MRN)),
        entry("DELETE", "Patient/p-1"),
        entry("POST", "Observation", weight(BY_MRN)),
        kind="batch",
    )
    outcomes = await run_batch(services, entries, (BASE,))
    assert statuses(outcomes) == ["201 Created", "204 No Content", "400 Bad Request"]
    assert await subject(services, outcomes[0]) == "Patient/p-1"
    assert len(lookups) == 2


async def test_a_second_match_created_midway_makes_the_reference_ambiguous(
    services: Services, lookups: list[str]
) -> None:
    await stored(services, "p-1", "M-1")
    entries = parsed(
        entry("POST", "Observation", weight(BY_MRN)),
        entry("POST", "Patient", patient("M-1")),
        entry("POST", "Observation", weight(BY_MRN)),
        kind="batch",
    )
    outcomes = await run_batch(services, entries, (BASE,))
    assert statuses(outcomes) == ["201 Created", "201 Created", "400 Bad Request"]


async def test_an_update_that_moves_the_identifier_moves_the_reference(
    services: Services, lookups: list[str]
) -> None:
    await stored(services, "p-1", "M-1")
    await stored(services, "p-2", "M-2")
    entries = parsed(
        entry("POST", "Observation", weight(BY_MRN)),
        entry("PUT", "Patient/p-1", patient("M-9", id="p-1")),
        entry("PUT", "Patient/p-2", patient("M-1", id="p-2")),
        entry("POST", "Observation", weight(BY_MRN)),
        kind="batch",
    )
    outcomes = await run_batch(services, entries, (BASE,))
    assert statuses(outcomes) == ["201 Created", "200 OK", "200 OK", "201 Created"]
    assert await subject(services, outcomes[0]) == "Patient/p-1"
    assert await subject(services, outcomes[3]) == "Patient/p-2"


async def test_writes_of_other_types_keep_the_reference_and_failures_are_not_kept(
    services: Services, lookups: list[str]
) -> None:
    entries = parsed(
        entry("POST", "Observation", weight(BY_MRN)),  # no Patient yet: its 400, not cached
        entry("POST", "Patient", patient("M-1")),
        entry("POST", "Observation", weight(BY_MRN)),
        entry("POST", "Observation", weight(BY_MRN)),
        entry("GET", "Patient?identifier=x"),
        entry("POST", "Observation", weight(BY_MRN)),
        kind="batch",
    )
    outcomes = await run_batch(services, entries, (BASE,))
    assert statuses(outcomes) == ["400 Bad Request", "201 Created"] + ["201 Created"] * 2 + [
        "200 OK",
        "201 Created",
    ]
    assert len({await subject(services, o) for o in outcomes[2:4] + outcomes[5:]}) == 1
    assert lookups == [BY_MRN, BY_MRN]


@pytest.mark.parametrize(
    ("reference", "written", "forgotten"),
    [
        pytest.param(BY_MRN, "Patient", True, id="its-own-type"),
        pytest.param(BY_MRN, "Observation", False, id="another-type"),
        pytest.param(f"{BASE}/{BY_MRN}", "Patient", True, id="absolute"),
        pytest.param("Patient?general-practitioner.name=Ng", "Practitioner", True, id="chain"),
        pytest.param("Patient?_has:Observation:subject:code=1", "Observation", True, id="has"),
    ],
)
def test_a_write_forgets_what_it_may_change(reference: str, written: str, forgotten: bool) -> None:
    cache = BatchReferences((BASE,), {reference: "Patient/p-1"})
    cache.written("GET", written)
    assert reference in cache.resolved
    cache.written("POST", written)
    assert (reference not in cache.resolved) == forgotten
