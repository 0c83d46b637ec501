"""What a write stores for search: normalised strings, ranges, references and sort keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.search.index import build_indexer
from gateway.search.values import EARLIEST, LATEST
from mappers.registry import MAPPERS


def indexed(resource: dict[str, Any]) -> dict[str, Any]:
    document = MAPPERS[resource["resourceType"]].from_fhir(resource).model_dump(exclude_none=True)
    document["last_updated"] = datetime(2026, 1, 2, 3, 4, 5)
    return build_indexer(resource["resourceType"])(document)


def test_patient_strings_are_normalised_and_deceased_is_derived() -> None:
    result = indexed({
        "resourceType": "Patient",
        "name": [{"family": "Müller", "given": ["Zoë", "Ann  Marie"]}],
        "address": [{"city": "São Paulo", "line": ["1 Rua"]}],
        "birthDate": "1974-12",
        "deceasedDateTime": "2020-01-01T00:00:00Z",
    })  # fmt: skip
    index = result["index"]
    assert index["family"] == ["muller"]
    assert index["given"] == ["zoe", "ann marie"]
    assert index["name"] == ["muller", "zoe", "ann marie"]
    assert index["address-city"] == ["sao paulo"]
    assert index["birthdate"] == {"start": datetime(1974, 12, 1), "end": datetime(1975, 1, 1)}
    assert index["deceased"] == [True]
    assert "_lastUpdated" not in index  # searched on last_updated itself
    assert result["sort"] == {"name": "muller zoe ann marie", "given": "zoe ann marie"}


def test_open_period_ends_become_sentinels() -> None:
    index = indexed({
        "resourceType": "Encounter", "status": "in-progress", "class": {"code": "AMB"},
        "period": {"start": "2020-05-01T10:00:00+02:00"},
        "location": [{"location": {"reference": "Location/l1"}, "period": {"end": "2020-05-02"}}],
    })["index"]  # fmt: skip
    assert index["date"] == {"start": datetime(2020, 5, 1, 8, 0), "end": LATEST}
    assert index["location-period"] == [{"start": EARLIEST, "end": datetime(2020, 5, 3)}]
    assert index["location"] == ["Location/l1"]


def test_relative_references_are_type_slash_id_and_absolute_ones_stay_as_written() -> None:
    index = indexed({
        "resourceType": "Observation", "status": "final", "code": {"text": "x"},
        "subject": {"reference": "https://ehr.example/fhir/Patient/p1/_history/3"},
        "focus": [{"reference": "Patient/p2/_history/1"}, {"reference": "Group/g1"}],
        "encounter": {"reference": "urn:uuid:0b6a5e64-9d3a-4c41-9a14-5b3a6d1e2f00"},
        "performer": [{"reference": "Practitioner/pr1"}, {"display": "lab"}],
    })["index"]  # fmt: skip
    assert "device" not in index
    assert index["patient"] == "https://ehr.example/fhir/Patient/p1/_history/3"
    assert index["subject"] == index["patient"]
    assert index["focus"] == ["Patient/p2", "Group/g1"]
    assert index["encounter"] == "urn:uuid:0b6a5e64-9d3a-4c41-9a14-5b3a6d1e2f00"
    assert index["performer"] == ["Practitioner/pr1"]


def test_observation_sort_key_is_its_first_code() -> None:
    result = indexed({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"},
                            {"system": "http://snomed.info/sct", "code": "364075005"}]},
    })  # fmt: skip
    assert result["sort"] == {"code": "8867-4"}


def test_a_reference_parameter_keeps_only_its_target_types() -> None:
    index = indexed({
        "resourceType": "Observation", "status": "final", "code": {"text": "x"},
        "subject": {"reference": "Group/g1"},
    })["index"]  # fmt: skip
    assert index["subject"] == "Group/g1"
    assert "patient" not in index


def test_single_valued_parameters_store_scalars_so_compound_indexes_stay_legal() -> None:
    """MongoDB refuses a compound index over two array fields of one document."""
    index = indexed({
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2020-05-01",
    })["index"]  # fmt: skip
    assert index["patient"] == "Patient/p1"
    assert index["date"] == {"start": datetime(2020, 5, 1), "end": datetime(2020, 5, 2)}
