"""Planning a transaction: targets and references decided before any write (http.html#trules)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.services import conditional, resources
from gateway.services.context import Services
from gateway.services.transaction.entries import EntryFailed
from gateway.services.transaction.plan import plan, targets
from tests.services.transaction.conftest import BASE, MRN, entry, parsed, patient, weight


async def stored(services: Services, resource_id: str, resource: dict[str, Any]) -> None:
    store = services.store(resource["resourceType"])
    await resources.update(store, resource_id, {**resource, "id": resource_id})


async def count(services: Services, resource_type: str) -> int:
    return int(await services.store(resource_type).collection.count_documents({}))


async def test_full_urls_name_the_ids_their_entries_will_write(services: Services) -> None:
    entries = parsed(
        entry("POST", "Observation", weight("urn:uuid:pat")),
        entry("POST", "Patient", patient("P-1"), full_url="urn:uuid:pat"),
        entry("POST", "Patient", patient("P-2"), full_url="urn:oid:1.2.3"),
        entry("PUT", "Patient/p-put", patient("P-3", id="p-put"), full_url=f"{BASE}/Patient/p-put"),
    )
    ids = await targets(services, entries, (BASE,))
    observation, first, second, put = entries
    assert ids == {
        "urn:uuid:pat": f"Patient/{first.target_id}",
        "urn:oid:1.2.3": f"Patient/{second.target_id}",
        f"{BASE}/Patient/p-put": "Patient/p-put",
    }
    assert len({observation.target_id, first.target_id, second.target_id, "p-put"}) == 4
    assert put.target_id == "p-put"


async def test_references_follow_the_plan_and_nothing_is_written(services: Services) -> None:
    entries = parsed(
        entry("POST", "Observation", weight("urn:uuid:pat")),
        entry("POST", "Patient", patient("P-4"), full_url="urn:uuid:pat"),
    )
    await plan(services, entries, (BASE,))
    observation, created = entries
    assert observation.resource == weight(f"Patient/{created.target_id}")
    assert await count(services, "Patient") == await count(services, "Observation") == 0


async def test_repeated_conditional_creates_share_one_target(services: Services) -> None:
    await stored(services, "p-known", patient("P-5"))
    criteria = {"ifNoneExist": f"identifier={MRN}|P-5"}
    new = {"ifNoneExist": f"identifier={MRN}|P-6"}
    entries = parsed(
        entry("POST", "Patient", patient("P-5"), **criteria),
        entry("POST", "Patient", patient("P-5"), **criteria),
        entry("POST", "Patient", patient("P-6"), **new),
        entry("POST", "Patient", patient("P-6"), **new),
    )
    await targets(services, entries, (BASE,))
    known_one, known_two, new_one, new_two = entries
    assert (known_one.target_id, known_one.known) == ("p-known", ["p-known"])
    assert known_two.target_id == "p-known"
    assert new_one.target_id == new_two.target_id != "p-known"
    assert new_one.known == []


async def test_deletions_are_planned_first(services: Services) -> None:
    """Listed after the create, the conditional DELETE is resolved first: the create's only
    match is being deleted, so it creates anew instead of answering the deleted one."""
    await stored(services, "p-old", patient("P-7"))
    criteria = f"identifier={MRN}|P-7"
    entries = parsed(
        entry("POST", "Patient", patient("P-7"), ifNoneExist=criteria),
        entry("DELETE", f"Patient?{criteria}"),
    )
    await targets(services, entries, (BASE,))
    create, delete = entries
    assert delete.target_id == "p-old"
    assert create.target_id not in (None, "p-old")
    assert create.known == []


@pytest.mark.parametrize(
    ("second", "failing"),
    [
        pytest.param(entry("PUT", "Patient/p-twice", patient("P-8", id="p-twice")), 1, id="put"),
        pytest.param(entry("DELETE", "Patient/p-twice"), 0, id="delete"),
        pytest.param(
            entry("PUT", f"Patient?identifier={MRN}|P-8", patient("P-8")), 1, id="conditional-put"
        ),
    ],
)
async def test_a_resource_written_twice_fails_the_plan(
    services: Services, second: dict[str, Any], failing: int
) -> None:
    await stored(services, "p-twice", patient("P-8"))
    entries = parsed(entry("PUT", "Patient/p-twice", patient("P-8", id="p-twice")), second)
    with pytest.raises(EntryFailed) as failed:
        await targets(services, entries, (BASE,))
    assert failed.value.status == 400
    [issue] = failed.value.issues
    assert (issue.diagnostics, issue.expression) == (
        f"Bundle.entry[{failing}]: `Patient/p-twice` is written by more than one entry of this "
        "transaction.",
        f"Bundle.entry[{failing}].request.url",
    )


async def test_a_conditional_reference_is_searched_once_per_bundle(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await stored(services, "p-ref", patient("P-9"))
    reference = f"Patient?identifier={MRN}|P-9"
    searched: list[str] = []
    original = conditional.matching_ids

    async def counting(services: Services, resource_type: str, criteria: str, **kw: Any) -> Any:
        searched.append(criteria)
        return await original(services, resource_type, criteria, **kw)

    monkeypatch.setattr(conditional, "matching_ids", counting)
    twice = {**weight(reference), "focus": [{"reference": reference}]}
    entries = parsed(entry("POST", "Observation", twice), entry("POST", "Observation", twice))
    await plan(services, entries, (BASE,))
    assert searched == [f"identifier={MRN}|P-9"]
    for planned in entries:
        assert planned.resource is not None
        assert planned.resource["subject"] == {"reference": "Patient/p-ref"}
        assert planned.resource["focus"] == [{"reference": "Patient/p-ref"}]


async def test_a_bad_criterion_names_the_request_element_it_is_in(services: Services) -> None:
    entries = parsed(
        entry("POST", "Patient", patient("P-10")),
        entry("POST", "Patient", patient("P-11"), ifNoneExist="bogus=1"),
    )
    with pytest.raises(EntryFailed) as failed:
        await targets(services, entries, (BASE,))
    assert [i.expression for i in failed.value.issues] == ["Bundle.entry[1].request.ifNoneExist"]
