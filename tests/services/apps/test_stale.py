"""A re-sent row replaces what it made (gateway.services.apps.stale), for each of the four apps
over its demo records: what the row no longer makes is deleted and no longer read back, the
rest of the store is untouched, a re-send of the same rows deletes nothing, and a refused
request deletes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.demo_records import app_records
from gateway.errors import GatewayError
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.apps.export import records_of
from gateway.services.apps.ingest import store_records
from gateway.services.context import Services
from gateway.store.repository import ResourceStore
from gateway.store.versions import Version
from mappers.apps.native import Identity
from tests.services.apps.held import stored

Row = Json


def without(*fields: str) -> Callable[[Row], Row]:
    return lambda row: {k: v for k, v in row.items() if k not in fields}


def one_exclusion_fewer(row: Row) -> Row:
    """NoraHealth keeps the exclusions as a JSON-text column."""
    exclusions = json.loads(row["dietary_exclusions"])
    return row | {"dietary_exclusions": json.dumps(exclusions[:-1])}


def one_biomarker_fewer(row: Row) -> Row:
    return row | {"biomarkers": row["biomarkers"][:-1]}


@dataclass(frozen=True, slots=True)
class Case:
    app: str
    entity: str
    pick: Callable[[Row], bool]  # the demo row re-sent
    less: Callable[[Row], Row]  # ... with something removed
    patient: str  # the row's field holding its patient's native id
    deleted: dict[str, int]  # what it no longer makes, per FHIR type
    # (entity, field) whose first row, holding a control character there, the FHIR write
    # checks refuse; None: the app's models refuse it already (the twin's), as a bad row
    spoil: tuple[str, str] | None

    @property
    def id(self) -> str:
        return self.app


CASES = [
    Case("heart-recovery", "VitalsSamples", lambda r: r["id"] == 1000, without("heartRate"),
         "userId", {"Observation": 1}, ("Providers", "name")),
    Case("medrecord", "Patient", lambda r: r["id"] == "medrec-patient-1",
         without("insuranceProvider", "insurancePolicyNumber"), "id", {"Coverage": 1},
         ("Patient", "firstName")),
    Case("norahealth", "health_profiles", lambda r: len(json.loads(r["dietary_exclusions"])) > 1,
         one_exclusion_fewer, "user_id", {"AllergyIntolerance": 1}, ("users", "display_name")),
    Case("medical-twin", "Event", lambda r: r["type"] == "lab_result", one_biomarker_fewer,
         "userId", {"Observation": 1}, None),
]  # fmt: skip
BY_CASE = pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
SPOILED = pytest.mark.parametrize("case", [c for c in CASES if c.spoil], ids=lambda c: c.id)


def carries(resource: Json, identifier: Json) -> bool:
    found = resource.get("identifier", [])
    return identifier in (found if isinstance(found, list) else [found])


async def loaded(services: Services, case: Case) -> tuple[dict[str, list[Row]], Row, int]:
    """The app's demo records stored; answers them, the case's row and its index."""
    records = app_records()[case.app]
    await store_records(services, case.app, records, max_entries=None)
    index = next(i for i, row in enumerate(records[case.entity]) if case.pick(row))
    return records, records[case.entity][index], index


async def read_back(services: Services, case: Case, row: Row) -> Json:
    return await records_of(services, case.app, patient=str(row[case.patient]))


def the_row(back: Json, case: Case, row: Row) -> Row:
    [found] = [r for r in back[case.entity] if r["id"] == row["id"]]
    return found


@BY_CASE
async def test_a_row_resent_with_less_leaves_no_trace(services: Services, case: Case) -> None:
    records, row, index = await loaded(services, case)
    before, back_before = await stored(services), await read_back(services, case, row)
    rows = list(records[case.entity])
    rows[index] = case.less(row)  # the app re-sends its table, one row changed
    answer = await store_records(services, case.app, {case.entity: rows}, max_entries=None)

    deleted = {t: c["deleted"] for t, c in answer["resources"].items() if c["deleted"]}
    assert deleted == case.deleted
    after = await stored(services)
    gone = before.keys() - after.keys()
    assert len(gone) == sum(case.deleted.values())
    identifier = Identity.of(case.app, case.entity, row["id"]).identifier()
    assert all(carries(before[ref], identifier) for ref in gone)
    # the resources of other rows (this patient's others, other patients'): as they were
    others = {ref for ref, resource in before.items() if not carries(resource, identifier)}
    assert {ref: after[ref] for ref in others} == {ref: before[ref] for ref in others}
    back_after = await read_back(services, case, row)
    assert the_row(back_after, case, row) == case.less(the_row(back_before, case, row))
    assert {e: r for e, r in back_after.items() if e != case.entity} == {
        e: r for e, r in back_before.items() if e != case.entity
    }


@BY_CASE
async def test_a_resend_of_the_same_rows_deletes_nothing(services: Services, case: Case) -> None:
    records, _, _ = await loaded(services, case)
    before = await stored(services)
    answer = await store_records(services, case.app, records, max_entries=None)
    counts = {(c["created"], c["updated"], c["deleted"]) for c in answer["resources"].values()}
    assert counts == {(0, 0, 0)}
    assert sum(c["unchanged"] for c in answer["resources"].values()) == len(before)
    assert await stored(services) == before


def with_less(records: dict[str, list[Row]], case: Case, index: int) -> dict[str, list[Row]]:
    """The case's entity, its row with less (so the request would delete something)."""
    rows = list(records[case.entity])
    rows[index] = case.less(rows[index])
    return {case.entity: rows}


@BY_CASE
async def test_a_request_with_a_bad_row_deletes_nothing(services: Services, case: Case) -> None:
    records, _, index = await loaded(services, case)
    before = await stored(services)
    payload = with_less(records, case, index)
    payload[case.entity].append(payload[case.entity][index] | {"not a field": 1})
    with pytest.raises(GatewayError) as raised:
        await store_records(services, case.app, payload, max_entries=None)
    assert raised.value.status == 422
    assert await stored(services) == before


@SPOILED
async def test_a_request_the_write_checks_refuse_deletes_nothing(
    services: Services, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transaction runs its deletions first (http.html#trules); the refused write of
    another row undoes them."""
    ran: list[str] = []
    delete = resources.delete

    async def recorded(store: ResourceStore, resource_id: str, **kwargs: Any) -> Version:
        ran.append(store.resource_type)
        return await delete(store, resource_id, **kwargs)

    monkeypatch.setattr(resources, "delete", recorded)
    records, row, index = await loaded(services, case)
    before = await stored(services)
    payload = with_less(records, case, index)
    assert case.spoil is not None
    entity, field = case.spoil
    spoiled = payload.setdefault(entity, list(records[entity]))
    assert spoiled[0]["id"] != row["id"]
    spoiled[0] = spoiled[0] | {field: "a\x00b"}
    with pytest.raises(GatewayError) as raised:
        await store_records(services, case.app, payload, max_entries=None)
    assert raised.value.status == 422  # a row FHIR cannot carry: unprocessable, like any bad row
    assert raised.value.issues[0].expression == f"{entity}[0]"
    assert ran == [t for t, n in case.deleted.items() for _ in range(n)]  # they ran, and
    assert await stored(services) == before  # were undone
