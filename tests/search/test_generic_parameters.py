"""Search parameters of the types kept whole, derived from the R4 definitions, and what a write
indexes for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import fhir_profiles
from gateway.search.index import build_indexer
from gateway.search.model import SearchParameter
from gateway.search.parameters import ALL, parameters_of
from gateway.services.generic import generic_types
from mappers.generic import generic_mapper

RESOURCE_LEVEL = ["_id", "_lastUpdated", "_tag", "_security", "_profile", "_source"]
GENERIC = sorted(generic_types())


def _summary(parameter: SearchParameter) -> tuple[Any, ...]:
    return (parameter.type, parameter.paths, parameter.targets, parameter.single)


@pytest.mark.parametrize(
    ("resource_type", "code", "expected"),
    [
        pytest.param("Organization", "identifier", ("token", ("fhir_rest.identifier[]",), (), False),
                     id="organization-identifier"),
        pytest.param("Condition", "patient", ("reference", ("fhir_rest.subject",), ("Patient",), True),
                     id="patient-reads-subject"),
        pytest.param("AllergyIntolerance", "patient",
                     ("reference", ("fhir_rest.patient",), ("Patient",), True),
                     id="patient-reads-patient"),
        pytest.param("Account", "patient",
                     ("reference", ("fhir_rest.subject",), ("Patient",), False),
                     id="patient-reads-a-list-of-subjects"),
        pytest.param("Coverage", "patient",
                     ("reference", ("fhir_rest.beneficiary",), ("Patient",), True),
                     id="patient-where-r4-reads-another-element"),
        pytest.param("Condition", "subject",
                     ("reference", ("fhir_rest.subject",), ("Group", "Patient"), True),
                     id="subject-targets-from-r4"),
        pytest.param("MedicationRequest", "encounter",
                     ("reference", ("fhir_rest.encounter",), ("Encounter",), True), id="encounter"),
        pytest.param("DocumentReference", "identifier",
                     ("token", ("fhir_rest.masterIdentifier[]", "fhir_rest.identifier[]"), (), False),
                     id="identifier-reading-two-elements"),
    ],
)  # fmt: skip
def test_derived_parameters(resource_type: str, code: str, expected: tuple[Any, ...]) -> None:
    assert _summary(parameters_of(resource_type)[code]) == expected


@pytest.mark.parametrize(
    ("resource_type", "codes"),
    [
        pytest.param("Organization", ["identifier"], id="no-patient"),
        pytest.param("Immunization", ["identifier", "patient"], id="no-r4-encounter-parameter"),
        pytest.param("Claim", ["identifier", "patient"], id="encounter-only-inside-items"),
        pytest.param("Binary", [], id="no-identifier"),
        pytest.param("DocumentReference", ["identifier", "patient", "subject"],
                     id="encounter-inside-context"),
    ],
)  # fmt: skip
def test_each_type_gets_the_resource_parameters_and_what_r4_defines_at_top_level(
    resource_type: str, codes: list[str]
) -> None:
    assert list(parameters_of(resource_type)) == [*RESOURCE_LEVEL, *codes]


def test_our_four_types_keep_their_registry_and_unknown_names_get_nothing() -> None:
    assert parameters_of("Patient")["identifier"].paths == ("identifiers[]",)
    assert parameters_of("Spaceship") == {}
    assert parameters_of("Resource") == {}
    assert parameters_of("SubscriptionStatus") == {}  # R4B's, not R4's


@pytest.mark.parametrize("resource_type", GENERIC)
def test_derived_parameters_match_their_r4_definition(resource_type: str) -> None:
    definitions = fhir_profiles.search_parameters()
    elements = fhir_profiles.elements()[resource_type]
    for code, parameter in parameters_of(resource_type).items():
        definition = definitions.get((resource_type, code)) or definitions[("Resource", code)]
        assert parameter.type == ("token" if code == "_id" else definition["type"]), code
        assert set(parameter.targets) <= set(definition.get("target", [])), code
        assert parameter.resource_types == (resource_type,)
        for path in parameter.paths:
            head = path.split(".")[1].removesuffix("[]") if path.startswith("fhir_rest.") else None
            assert head is None or head in elements, (code, path)


def test_every_r4_resource_type_but_ours_and_those_r4b_dropped_or_broke_is_kept_whole() -> None:
    assert set(GENERIC) | set(ALL) <= fhir_profiles.resource_types()
    assert not set(GENERIC) & set(ALL)
    assert len(fhir_profiles.resource_types() - set(GENERIC) - set(ALL)) == 18 + 1  # Evidence


def test_a_write_indexes_the_reference_parameters_of_a_generic_type() -> None:
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p1/_history/2"},
        "encounter": {"reference": "Encounter/e1"},
        "identifier": [{"system": "urn:x", "value": "1"}],
    }
    document = generic_mapper("Condition").from_fhir(condition).model_dump()
    document["last_updated"] = datetime(2026, 1, 2)
    assert build_indexer("Condition")(document) == {
        "index": {"patient": "Patient/p1", "subject": "Patient/p1", "encounter": "Encounter/e1"}
    }


def test_a_group_subject_is_no_patient() -> None:
    condition = {"resourceType": "Condition", "subject": {"reference": "Group/g1"}}
    document = generic_mapper("Condition").from_fhir(condition).model_dump()
    assert build_indexer("Condition")(document) == {"index": {"subject": "Group/g1"}}
