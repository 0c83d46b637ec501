"""Search parameters of the types kept whole, derived from every R4 definition and its FHIRPath
expression, and what a write indexes for them (the layout of gateway.search.values)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import fhir_profiles
from gateway.search.index import build_indexer
from gateway.search.model import SearchParameter
from gateway.search.parameters import ALL, parameters_of, unsupported_parameters
from gateway.search.values import LATEST
from gateway.services.generic import generic_types, kept_types
from mappers.generic import generic_mapper

RESOURCE_LEVEL = ["_id", "_lastUpdated", "_tag", "_security", "_profile", "_source"]
GENERIC = sorted(generic_types())
SNOMED = "http://snomed.info/sct"


def _summary(parameter: SearchParameter) -> tuple[Any, ...]:
    return (
        parameter.type,
        parameter.paths,
        parameter.targets,
        parameter.single,
        parameter.sort_path,
    )


@pytest.mark.parametrize(
    ("resource_type", "code", "expected"),
    [
        pytest.param("Organization", "identifier",
                     ("token", ("index.identifier[]",), (), False, "sort.identifier"),
                     id="token"),
        pytest.param("Condition", "patient", ("reference", ("index.patient",), ("Patient",), True, None),
                     id="patient-reads-subject"),
        pytest.param("Account", "patient", ("reference", ("index.patient",), ("Patient",), False, None),
                     id="patient-reads-a-list-of-subjects"),
        pytest.param("Practitioner", "name", ("string", ("exact.name",), (), False, "sort.name"),
                     id="string-exact-as-written"),
        pytest.param("MedicationRequest", "authoredon",
                     ("date", ("index.authoredon",), (), True, "sort.authoredon"), id="date-single"),
        pytest.param("Appointment", "date", ("date", ("index.date",), (), True, "sort.date"),
                     id="date-appointment-start"),
        pytest.param("Condition", "onset-date", ("date", ("index.onset-date",), (), False, "sort.onset-date"),
                     id="date-two-choice-branches"),
        pytest.param("Condition", "abatement-age",
                     ("quantity", ("index.abatement-age[]",), (), False, "sort.abatement-age"),
                     id="quantity"),
        pytest.param("RiskAssessment", "probability",
                     ("number", ("index.probability[]",), (), False, "sort.probability"), id="number"),
        pytest.param("ValueSet", "url", ("uri", ("index.url",), (), False, "sort.url"), id="uri"),
    ],
)  # fmt: skip
def test_derived_parameters(resource_type: str, code: str, expected: tuple[Any, ...]) -> None:
    assert _summary(parameters_of(resource_type)[code]) == expected


@pytest.mark.parametrize("resource_type", kept_types())
def test_every_r4_parameter_of_every_kept_type_is_served_or_listed_with_a_reason(
    resource_type: str,
) -> None:
    definitions = fhir_profiles.search_parameters()
    r4 = {c for (b, c) in definitions if b in (resource_type, "Resource", "DomainResource")}
    served, unsupported = parameters_of(resource_type), unsupported_parameters(resource_type)
    assert r4 <= set(served) | set(unsupported)
    assert not set(served) & set(unsupported)
    assert all(reason.strip() for reason in unsupported.values())


def test_what_is_not_offered_says_why() -> None:
    assert unsupported_parameters("Location")["near"].startswith("special parameters")
    assert unsupported_parameters("Practitioner")["phonetic"].startswith("no phonetic")
    assert unsupported_parameters("Patient")["phonetic"].startswith("no phonetic")
    assert "phonetic" not in unsupported_parameters("Observation")
    assert unsupported_parameters("Condition")["_text"] == "full-text search is not offered"
    assert (
        "a composite with a reference component"
        in (unsupported_parameters("DocumentReference")["relationship"])
    )
    assert unsupported_parameters("Spaceship") == {}


def test_composites_take_their_components_from_r4() -> None:
    composite = parameters_of("Group")["characteristic-value"]
    assert composite.scope == "index.characteristic-value"
    assert [(p.code, p.type, p.paths) for p in composite.parts] == [
        ("characteristic", "token", ("characteristic[]",)),
        ("value", "token", ("value[]",)),
    ]


def test_our_four_types_keep_their_registry_and_unknown_names_get_nothing() -> None:
    assert parameters_of("Patient")["identifier"].paths == ("identifiers[]",)
    assert parameters_of("Spaceship") == {}
    assert parameters_of("Resource") == {}
    assert parameters_of("SubscriptionStatus") == {}  # R4B's, not R4's


@pytest.mark.parametrize("resource_type", GENERIC)
def test_derived_parameters_match_their_r4_definition(resource_type: str) -> None:
    definitions = fhir_profiles.search_parameters()
    for code, parameter in parameters_of(resource_type).items():
        definition = definitions.get((resource_type, code)) or definitions[("Resource", code)]
        assert parameter.type == ("token" if code == "_id" else definition["type"]), code
        assert set(parameter.targets) <= set(definition.get("target", [])), code
        assert parameter.resource_types == (resource_type,)
        assert parameter.indexed == (code not in RESOURCE_LEVEL)


def test_every_r4_resource_type_but_ours_and_those_r4b_dropped_or_broke_is_kept_whole() -> None:
    assert set(GENERIC) | set(ALL) <= fhir_profiles.resource_types()
    assert not set(GENERIC) & set(ALL)
    assert len(fhir_profiles.resource_types() - set(GENERIC) - set(ALL)) == 18 + 1  # Evidence


def _indexed(resource: dict[str, Any]) -> dict[str, Any]:
    document = generic_mapper(resource["resourceType"]).from_fhir(resource).model_dump()
    document["last_updated"] = datetime(2026, 1, 2)
    return build_indexer(resource["resourceType"])(document)


def test_a_write_indexes_every_parameter_of_a_generic_type() -> None:
    assert _indexed({
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "urn:clinical", "code": "active"}]},
        "code": {"coding": [{"system": SNOMED, "code": "44054006", "display": "Diabetes"}],
                 "text": "Diabetes type 2"},
        "subject": {"reference": "Patient/p1/_history/2"},
        "encounter": {"reference": "Encounter/e1"},
        "identifier": [{"system": "urn:x", "value": "1"}],
        "onsetPeriod": {"start": "2019-05"},
        "abatementString": "In Müller's words",
        "recordedDate": "2019-06-02",
    }) == {
        "index": {
            "abatement-string": ["in muller's words"],
            "clinical-status": [{"system": "urn:clinical", "code": "active"}],
            "code": [{"system": SNOMED, "code": "44054006", "display": "Diabetes"},
                     {"display": "Diabetes type 2"}],
            "encounter": "Encounter/e1",
            "identifier": [{"system": "urn:x", "code": "1"}],
            "onset-date": [{"start": datetime(2019, 5, 1), "end": LATEST}],
            "patient": "Patient/p1",
            "recorded-date": {"start": datetime(2019, 6, 2), "end": datetime(2019, 6, 3)},
            "subject": "Patient/p1",
        },
        "exact": {"abatement-string": ["In Müller's words"]},
        "sort": {
            "abatement-string": "in muller's words",
            "clinical-status": "active",
            "code": "44054006",
            "identifier": "1",
            "onset-date": datetime(2019, 5, 1),
            "recorded-date": datetime(2019, 6, 2),
        },
    }  # fmt: skip


def test_a_group_subject_is_no_patient() -> None:
    keys = _indexed({"resourceType": "Condition", "subject": {"reference": "Group/g1"}})
    assert keys == {"index": {"subject": "Group/g1"}}


def test_a_composite_keeps_one_entry_per_element_with_every_component() -> None:
    group = {
        "resourceType": "Group", "type": "person", "actual": True,
        "characteristic": [
            {"code": {"coding": [{"system": "urn:c", "code": "gender"}]},
             "valueCodeableConcept": {"coding": [{"system": "urn:g", "code": "female"}]},
             "exclude": False},
            {"code": {"coding": [{"system": "urn:c", "code": "age"}]},
             "valueQuantity": {"value": 40}, "exclude": False},
        ],
    }  # fmt: skip
    assert _indexed(group)["index"]["characteristic-value"] == [
        {"characteristic": [{"system": "urn:c", "code": "gender"}],
         "value": [{"system": "urn:g", "code": "female"}]},
    ]  # fmt: skip


def test_values_a_parameter_type_cannot_use_are_skipped_never_a_crash() -> None:
    keys = _indexed({
        "resourceType": "Condition",
        "onsetString": "in childhood",  # onset-date reads onset as dateTime or Period
        "abatementAge": {"unit": "a"},  # a Quantity without a value
        "recordedDate": "not a date",
        "subject": {"display": "no reference"},
    })  # fmt: skip
    assert keys == {
        "index": {"onset-info": ["in childhood"]},
        "exact": {"onset-info": ["in childhood"]},
        "sort": {"onset-info": "in childhood"},
    }
