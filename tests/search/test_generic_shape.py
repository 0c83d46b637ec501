"""What an R4 expression reads, told from its text and the R4 element table."""

from __future__ import annotations

import pytest

from gateway.search.generic_shape import (
    boolean_valued,
    branches,
    single_valued,
    top_level_keys,
)

MEDICATION = (
    "(MedicationAdministration.medication as Reference) | (MedicationRequest.medication as "
    "Reference) | (MedicationStatement.medication as Reference)"
)


def test_branches_keep_those_of_the_type_without_parentheses() -> None:
    assert branches("MedicationRequest", MEDICATION) == [
        "MedicationRequest.medication as Reference"
    ]
    assert branches("Observation", MEDICATION) == []
    assert branches("Condition", "Condition.code | ConditionX.code") == ["Condition.code"]


@pytest.mark.parametrize(
    ("resource_type", "expression", "keys"),
    [
        pytest.param("Condition", "Condition.onset.as(dateTime) | Condition.onset.as(Period)",
                     {"onset", "onsetDateTime", "onsetAge", "onsetPeriod", "onsetRange",
                      "onsetString"}, id="choice-element"),
        pytest.param("MedicationRequest", MEDICATION,
                     {"medication", "medicationCodeableConcept", "medicationReference"},
                     id="one-branch-of-many-types"),
        pytest.param("Appointment", "Appointment.participant.actor.where(resolve() is Patient)",
                     {"participant"}, id="nested"),
        pytest.param("Condition", "Resource.id", None, id="another-root"),
    ],
)  # fmt: skip
def test_top_level_keys(resource_type: str, expression: str, keys: set[str] | None) -> None:
    found = top_level_keys(resource_type, expression)
    assert (set(found) if found is not None else None) == keys


@pytest.mark.parametrize(
    ("resource_type", "expression", "single"),
    [
        pytest.param("Appointment", "Appointment.start", True, id="0..1"),
        pytest.param("MedicationRequest", MEDICATION, True, id="choice-as-type"),
        pytest.param("Condition", "Condition.subject.where(resolve() is Patient)", True,
                     id="resolve-filter"),
        pytest.param("Encounter", "Encounter.hospitalization.admitSource", True,
                     id="through-a-0..1-backbone"),
        pytest.param("Appointment", "Appointment.participant.actor", False, id="through-an-array"),
        pytest.param("Condition", "Condition.onset.as(dateTime) | Condition.onset.as(Period)",
                     False, id="two-branches"),
        pytest.param("Patient", "Patient.telecom.where(system='phone')", False,
                     id="not-a-plain-path"),
    ],
)  # fmt: skip
def test_single_valued(resource_type: str, expression: str, single: bool) -> None:
    assert single_valued(resource_type, expression) is single


def test_boolean_valued() -> None:
    assert boolean_valued("Practitioner", "Practitioner.active")
    assert boolean_valued("Group", "Group.characteristic.exclude")
    assert not boolean_valued("Practitioner", "Practitioner.gender")
    assert not boolean_valued("Practitioner", "Patient.active")
