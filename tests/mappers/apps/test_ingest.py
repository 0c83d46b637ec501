"""mappers.apps.ingest: rows in, checked against the models, mapped to resources, every problem
a 422 naming `entity[row].field` (the toy app, tests/mappers/apps/toy.py)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import UnprocessableResource
from gateway.jsonio import Json
from mappers.apps.base import AppAdapter, Entity, Identity, RowProblem
from mappers.apps.ingest import (
    MAX_ISSUES,
    Target,
    check_foreign_keys,
    map_records,
    read_records,
    wanted,
)
from tests.mappers.apps.toy import ADAPTER, Clinic

CLINIC = {"id": 7, "name": "Lakeside"}
PERSON = {"id": "p1", "name": "Ann", "sex": "F", "clinic_id": 7}
VISIT = {"id": 1, "person_id": "p1", "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": 72}


def problems(payload: Any) -> list[tuple[str | None, str]]:
    """(expression, code) of every issue read_records raises for `payload`."""
    with pytest.raises(UnprocessableResource) as raised:
        read_records(ADAPTER, payload)
    return [(issue.expression, issue.code) for issue in raised.value.issues]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param([], [("(body)", "business-rule")], id="not-an-object"),
        pytest.param({"nurses": []}, [("nurses", "business-rule")], id="unknown-entity"),
        pytest.param({"people": {"id": "p1"}}, [("people", "business-rule")], id="not-a-list"),
        pytest.param({"people": [PERSON, PERSON, PERSON, "p4"]}, [("people[1].id", "invalid"), ("people[2].id", "invalid"), ("people[3]", "business-rule")], id="duplicates-and-not-an-object"),
        pytest.param({"people": [PERSON, PERSON, PERSON, {"id": "p4"}]}, [("people[1].id", "invalid"), ("people[2].id", "invalid"), ("people[3].name", "invalid")], id="missing-field"),
        pytest.param({"visits": [VISIT, VISIT, VISIT | {"id": 2}, VISIT | {"id": "4"}]}, [("visits[1].id", "invalid"), ("visits[3].id", "invalid")], id="wrong-type-strict"),
        pytest.param({"people": [{**PERSON, "id": f"p{i}"} for i in range(3)] + [PERSON | {"id": "p9", "sex": "X"}]}, [("people[3].sex", "invalid")], id="bad-enum"),
        pytest.param({"people": [PERSON | {"shoe_size": 9}]}, [("people[0].shoe_size", "invalid")], id="unknown-field"),
        pytest.param({"visits": [VISIT | {"at": "yesterday"}]}, [("visits[0].at", "invalid")], id="bad-instant"),
        pytest.param({"visits": [VISIT | {"heart_rate": "72"}]}, [("visits[0].heart_rate", "invalid")], id="union-named-once-at-the-field"),
    ],
)  # fmt: skip
def test_bad_rows_are_one_422_naming_entity_row_and_field(
    payload: Any, expected: list[tuple[str, str]]
) -> None:
    assert problems(payload) == expected


def test_the_diagnostics_name_the_app_entity_row_and_field() -> None:
    with pytest.raises(UnprocessableResource) as raised:
        read_records(
            ADAPTER, {"people": [PERSON, PERSON, PERSON, PERSON | {"id": "p4", "sex": "X"}]}
        )
    first = raised.value.issues[0].diagnostics
    assert first.startswith("toy `people` row 1, field `id`: `p1` is also the id of row 0"), first
    assert raised.value.diagnostics.endswith("(3 problems; nothing was stored.)")
    assert raised.value.issues[-1].expression == "people[3].sex"


def test_more_problems_than_the_cap_are_counted_not_listed() -> None:
    rows = [{"id": i} for i in range(MAX_ISSUES + 5)]  # each lacks `name`
    with pytest.raises(UnprocessableResource) as raised:
        read_records(ADAPTER, {"clinics": rows})
    issues = raised.value.issues
    assert len(issues) == MAX_ISSUES + 1
    assert issues[-1].severity == "information"
    assert issues[-1].diagnostics == "5 more problems are not listed."


def test_rows_without_a_home_are_counted_and_never_validated() -> None:
    records = read_records(ADAPTER, {"recipes": [{"anything": [1, 2]}, {}], "clinics": [CLINIC]})
    assert records.skipped == {"recipes": 2}
    assert list(records.rows) == ["clinics"]
    # a row is still a JSON object; what it holds is the app's business
    assert problems({"recipes": [{}, "soup"]}) == [("recipes[1]", "business-rule")]


def test_secrets_are_counted_per_field_when_they_hold_a_value() -> None:
    records = read_records(ADAPTER, {
        "people": [PERSON | {"password_hash": "x"}, PERSON | {"id": "p2", "password_hash": None},
                   PERSON | {"id": "p3", "password_hash": "y"}],
        "recipes": [{"api_key": "k"}, {"api_key": None}],
    })  # fmt: skip
    assert records.dropped == {"people": {"password_hash": 2}, "recipes": {"api_key": 1}}


def test_rows_keep_their_index_and_identity() -> None:
    records = read_records(ADAPTER, {"clinics": [CLINIC, {"id": 8, "name": "B"}]})
    second = records.rows["clinics"][1]
    assert (second.index, second.identity) == (1, Identity("toy", "clinics", "8"))
    assert records.find("clinics", 8) is second
    assert records.find("clinics", "8") is second
    assert records.find("clinics", 9) is None


def test_wanted_names_foreign_keys_to_rows_the_request_lacks() -> None:
    records = read_records(ADAPTER, {"people": [PERSON], "visits": [VISIT, VISIT | {"id": 2}]})
    clinic = Identity("toy", "clinics", "7")
    assert wanted(records) == [Target("clinics", "7", ("Organization",), clinic.resource_id())]
    sent = read_records(ADAPTER, {"clinics": [CLINIC], "people": [PERSON], "visits": [VISIT]})
    assert wanted(sent) == []


def test_a_foreign_key_to_nothing_is_a_422_and_a_stored_row_satisfies_it() -> None:
    records = read_records(ADAPTER, {"people": [PERSON], "visits": [VISIT | {"person_id": "p2"}]})
    with pytest.raises(UnprocessableResource) as raised:
        check_foreign_keys(records, {})
    assert [i.expression for i in raised.value.issues] == ["people[0].clinic_id", "visits[0].person_id", "visits[0].clinic_id"]  # fmt: skip
    with pytest.raises(UnprocessableResource) as raised:
        check_foreign_keys(records, {("clinics", "7"): {"resourceType": "Organization"}})
    assert [i.expression for i in raised.value.issues] == ["visits[0].person_id"]


def refs(resources: list[Json]) -> list[str]:
    return [f"{r['resourceType']}/{r['id']}" for r in resources]


def test_rows_map_in_any_order_to_the_same_resources() -> None:
    forward = {"clinics": [CLINIC], "people": [PERSON], "visits": [VISIT]}
    backward = {"visits": [VISIT], "people": [PERSON], "clinics": [CLINIC]}
    one = map_records(read_records(ADAPTER, forward), {})
    other = map_records(read_records(ADAPTER, backward), {})
    assert one.resources == other.resources
    visit = Identity("toy", "visits", "1")
    assert one.made["visits"] == {"1": [f"Encounter/{visit.resource_id()}", f"Observation/{visit.resource_id('heartRate')}"]}  # fmt: skip
    assert refs(one.resources)[0] == f"Organization/{Identity('toy', 'clinics', '7').resource_id()}"


def test_a_resource_two_rows_make_alike_is_written_once_and_differently_is_a_422() -> None:
    same = Entity("twins", Clinic, to_fhir=lambda row, ctx: [{"resourceType": "Organization", "id": "shared", "name": "X"}])  # fmt: skip
    other = Entity("clinics", Clinic, to_fhir=lambda row, ctx: [{"resourceType": "Organization", "id": "shared", "name": row.name}])  # fmt: skip
    adapter = AppAdapter("t", "T", (), (same, other), "twins", lambda view: [])
    alike = map_records(read_records(adapter, {"twins": [CLINIC, {"id": 8, "name": "B"}]}), {})
    assert refs(alike.resources) == ["Organization/shared"]
    assert alike.made["twins"] == {"7": ["Organization/shared"], "8": ["Organization/shared"]}
    with pytest.raises(UnprocessableResource) as raised:
        map_records(read_records(adapter, {"twins": [CLINIC], "clinics": [{"id": 1, "name": "B"}]}), {})  # fmt: skip
    assert [(i.expression, i.code) for i in raised.value.issues] == [
        ("clinics[0]", "business-rule")
    ]


def test_a_row_problem_is_a_422_naming_the_field() -> None:
    with pytest.raises(UnprocessableResource) as raised:
        map_records(read_records(ADAPTER, {"people": [PERSON | {"name": " ", "clinic_id": None}]}), {})  # fmt: skip
    [issue] = raised.value.issues
    assert (issue.expression, issue.diagnostics) == ("people[0].name", "toy `people` row 0, field `name`: a person needs a name.")  # fmt: skip


def test_the_context_gives_primary_resources_from_the_request_or_the_store() -> None:
    seen: dict[str, Json | None] = {}

    def looking(row: Clinic, ctx: Any) -> list[Json]:
        seen[row.name] = ctx.resource("clinics", 7 if row.id == 8 else 8)
        return [{"resourceType": "Organization", "id": f"o{row.id}", "name": row.name}]

    clinics = Entity("clinics", Clinic, to_fhir=looking, primary=("Organization",))
    adapter = AppAdapter("t", "T", (), (clinics,), "clinics", lambda view: [])
    stored = {("clinics", "8"): {"resourceType": "Organization", "id": "stored"}}
    map_records(read_records(adapter, {"clinics": [{"id": 8, "name": "B"}]}), stored)
    assert seen == {"B": None}  # row 7 is neither sent nor stored
    map_records(read_records(adapter, {"clinics": [CLINIC]}), stored)
    assert seen["Lakeside"] == {"resourceType": "Organization", "id": "stored"}


def test_a_cycle_of_foreign_keys_maps_each_row_once() -> None:
    """Row 7 asks for 8's resource and 8 for 7's: the inner one sees none yet, and no row is
    mapped twice."""
    calls: list[int] = []

    def cyclic(row: Clinic, ctx: Any) -> list[Json]:
        calls.append(row.id)
        other = ctx.resource("clinics", 8 if row.id == 7 else 7)
        own = ctx.identity("clinics", row.id).resource_id()
        return [
            {"resourceType": "Organization", "id": own, "name": f"{row.id}:{other is not None}"}
        ]

    clinics = Entity("clinics", Clinic, to_fhir=cyclic, primary=("Organization",))
    adapter = AppAdapter("t", "T", (), (clinics,), "clinics", lambda view: [])
    mapped = map_records(read_records(adapter, {"clinics": [CLINIC, {"id": 8, "name": "B"}]}), {})
    assert sorted(calls) == [7, 8]
    assert sorted(r["name"] for r in mapped.resources) == ["7:True", "8:False"]


def test_row_problem_carries_field_and_message() -> None:
    problem = RowProblem("value", "not JSON")
    assert (problem.field_name, problem.message, str(problem)) == ("value", "not JSON", "not JSON")
