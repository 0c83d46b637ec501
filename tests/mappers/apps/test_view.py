"""mappers.apps.view: what an adapter's from_fhir reads (FhirView) and how rows go out."""

from __future__ import annotations

from gateway.jsonio import ExactDecimal, dumps
from mappers.apps.native import SID
from mappers.apps.view import FhirView, partial_row, row_json
from tests.mappers.apps.toy import Person, Visit

PATIENT = {"resourceType": "Patient", "id": "p", "identifier": [{"system": f"{SID}/toy/people", "value": "p1"}]}  # fmt: skip
ENCOUNTER = {"resourceType": "Encounter", "id": "e", "status": "finished"}
OBSERVATION = {"resourceType": "Observation", "id": "o", "status": "final",
               "identifier": [{"system": "urn:other"}, {"system": f"{SID}/toy/visits", "value": 5}]}  # fmt: skip


def view() -> FhirView:
    return FhirView("toy", PATIENT, [ENCOUNTER, OBSERVATION])


def test_resources_by_type_and_by_reference() -> None:
    found = view()
    assert found.of_type("Observation") == [OBSERVATION]
    assert found.of_type("Condition") == []
    assert found.get("Encounter/e") is ENCOUNTER
    assert found.get({"reference": "Observation/o/_history/3"}) is OBSERVATION
    assert found.get("Patient/p") is PATIENT  # the patient, though not among the resources
    assert found.get({"display": "no reference"}) is None
    assert found.get(None) is None
    assert found.get("Encounter/missing") is None


def test_native_id_reads_this_apps_identifier_of_the_entity_only() -> None:
    found = view()
    assert found.native_id(PATIENT, "people") == "p1"
    assert found.native_id(PATIENT, "visits") is None
    assert found.native_id(OBSERVATION, "visits") == "5"
    assert FhirView("other", PATIENT, []).native_id(PATIENT, "people") is None
    assert found.ref(OBSERVATION) == "Observation/o"


def test_row_json_leaves_out_absent_values_and_keeps_exact_numbers() -> None:
    assert row_json(Person(id="p1", name="Ann")) == {"id": "p1", "name": "Ann"}
    visit = Visit(
        id=1, person_id="p1", clinic_id=7, at="2026-01-02", heart_rate=ExactDecimal("72.50")
    )
    assert (
        dumps(row_json(visit))
        == b'{"id":1,"person_id":"p1","clinic_id":7,"at":"2026-01-02","heart_rate":72.50}'
    )


def test_native_id_reads_a_single_identifier() -> None:
    """Composition.identifier (and Bundle's) is 0..1: one object, not a list."""
    composition = {"resourceType": "Composition", "id": "c",
                   "identifier": {"system": f"{SID}/toy/visits", "value": "v7"}}  # fmt: skip
    other = {**composition, "identifier": {"system": "urn:other", "value": "x"}}
    assert view().native_id(composition, "visits") == "v7"
    assert view().native_id(other, "visits") is None


def test_a_partial_row_leaves_out_missing_required_fields_and_refuses_wrong_values() -> None:
    """An EHR's patient has no value for what only the app records: the row says what FHIR has."""
    partial = partial_row(Visit, {"id": 3, "person_id": "p1", "heart_rate": 70})  # no clinic, at
    assert partial is not None
    assert row_json(partial) == {
        "id": 3,
        "person_id": "p1",
        "heart_rate": 70,
    }
    whole = partial_row(Person, {"id": "p1", "name": "Ann", "sex": None})
    assert whole == Person(id="p1", name="Ann")
    assert partial_row(Visit, {"id": "3", "person_id": "p1"}) is None  # a wrong type is no row
