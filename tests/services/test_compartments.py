"""The R4 CompartmentDefinitions as data, the membership clauses built from them, the care
dates of `$everything`, and what the CapabilityStatement says of both."""

from __future__ import annotations

import pytest

import fhir_profiles
from gateway.search.parameters import parameters_of
from gateway.services.capabilities import capability_statement
from gateway.services.compartments import definition_url, membership
from gateway.services.everything import CARE_DATES, OPERATION
from gateway.services.generic import kept_types

# Rows of https://hl7.org/fhir/R4/compartmentdefinition-{patient,encounter,practitioner,
# relatedperson,device}.html, copied by hand.
SPEC_ROWS = [
    ("Patient", "AllergyIntolerance", ("patient", "recorder", "asserter")),
    ("Patient", "Encounter", ("patient",)),
    ("Patient", "Observation", ("subject", "performer")),
    ("Patient", "Patient", ("link",)),
    ("Patient", "MedicationStatement", ("subject",)),
    ("Patient", "Coverage", ("policy-holder", "subscriber", "beneficiary", "payor")),
    ("Patient", "Provenance", ("patient",)),
    ("Encounter", "Encounter", ("{def}",)),
    ("Encounter", "Observation", ("encounter",)),
    ("Encounter", "MedicationAdministration", ("context",)),
    ("Practitioner", "Encounter", ("practitioner", "participant")),
    ("Practitioner", "Practitioner", ("{def}",)),
    ("RelatedPerson", "Observation", ("performer",)),
    ("Device", "Observation", ("subject", "device")),
]


def test_the_five_r4_compartments() -> None:
    assert sorted(fhir_profiles.compartments()) == [
        "Device", "Encounter", "Patient", "Practitioner", "RelatedPerson",
    ]  # fmt: skip
    patient = fhir_profiles.compartments()["Patient"]
    assert len(patient) == 66  # types with an inclusion criterion in 4.0.1
    assert "Task" not in patient  # in Medplum's variant, not in R4's
    assert "Practitioner" not in patient
    assert "Organization" not in patient


@pytest.mark.parametrize(("compartment", "resource_type", "parameters"), SPEC_ROWS)
def test_definitions_match_the_spec(
    compartment: str, resource_type: str, parameters: tuple[str, ...]
) -> None:
    assert fhir_profiles.compartments()[compartment][resource_type] == parameters


def test_every_compartment_parameter_is_an_r4_reference_parameter() -> None:
    definitions = fhir_profiles.search_parameters()
    for compartment, types in fhir_profiles.compartments().items():
        for resource_type, codes in types.items():
            for code in codes:
                if code == "{def}":
                    continue
                definition = definitions[(resource_type, code)]
                assert definition["type"] == "reference", (compartment, resource_type, code)


def test_the_registry_serves_every_compartment_parameter_of_every_kept_type() -> None:
    """Every parameter that puts a resource of a kept type in a compartment is a reference
    parameter of the registry able to point at the compartment's type (our four types by
    their hand-mapped paths, the types kept whole by their derived ones)."""
    kept = kept_types()
    checked = 0
    for compartment, types in fhir_profiles.compartments().items():
        for resource_type, codes in types.items():
            if resource_type not in kept:
                continue  # R4B dropped a few R4 types (gateway.services.generic)
            for code in codes:
                if code == "{def}":
                    continue
                parameter = parameters_of(resource_type)[code]
                assert parameter.type == "reference", (compartment, resource_type, code)
                assert compartment in parameter.targets, (compartment, resource_type, code)
                checked += 1
    assert checked > 150


def test_membership_of_one_patient_is_an_equality_on_the_indexed_references() -> None:
    clause = membership("Patient", ("p1",), "Observation", base_urls=("http://x/fhir",))
    forms = {"$in": ["Patient/p1", "http://x/fhir/Patient/p1"]}
    assert clause == {"$or": [{"index.subject": forms}, {"index.performer": forms}]}


def test_the_compartment_owner_is_a_member_of_its_own_compartment() -> None:
    assert membership("Patient", ("p1",), "Patient") == {
        "$or": [{"_id": {"$in": ["p1"]}}, {"index.link": {"$in": ["Patient/p1"]}}]
    }
    assert membership("Encounter", ("e1",), "Encounter") == {"_id": {"$in": ["e1"]}}


def test_membership_of_every_patient_is_an_anchored_escaped_prefix() -> None:
    clause = membership("Patient", None, "Encounter", base_urls=("http://x.org/fhir+1",))
    assert clause == {"index.patient": {"$regex": r"^(?:Patient/|http://x\.org/fhir\+1/Patient/)"}}
    assert membership("Patient", None, "Patient") == {
        "$or": [{}, {"index.link": {"$regex": "^(?:Patient/)"}}]
    }


def test_a_type_outside_the_compartment_matches_nothing() -> None:
    assert membership("Patient", ("p1",), "Organization") == {"_id": {"$in": []}}


def test_care_dates_are_r4_date_parameters_of_patient_compartment_types() -> None:
    definitions = fhir_profiles.search_parameters()
    patient = fhir_profiles.compartments()["Patient"]
    for resource_type, code in CARE_DATES.items():
        assert resource_type in patient, resource_type
        assert definitions[(resource_type, code)]["type"] == "date", (resource_type, code)


def test_care_dates_are_in_the_registry() -> None:
    kept = kept_types()
    for resource_type, code in CARE_DATES.items():
        if resource_type in kept:
            assert parameters_of(resource_type)[code].type == "date", (resource_type, code)


def test_the_capability_statement_names_compartments_and_everything() -> None:
    rest = capability_statement(base_url="http://x/fhir", date="2026-01-01")["rest"][0]
    assert rest["compartment"] == [
        "http://hl7.org/fhir/CompartmentDefinition/device",
        "http://hl7.org/fhir/CompartmentDefinition/encounter",
        "http://hl7.org/fhir/CompartmentDefinition/patient",
        "http://hl7.org/fhir/CompartmentDefinition/practitioner",
        "http://hl7.org/fhir/CompartmentDefinition/relatedPerson",
    ]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert {"name": "everything", "definition": OPERATION} in patient["operation"]
    assert OPERATION == "http://hl7.org/fhir/OperationDefinition/Patient-everything"
    assert definition_url("RelatedPerson").endswith("/relatedPerson")
