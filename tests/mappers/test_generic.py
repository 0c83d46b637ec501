"""The mapper of the types kept whole: the resource goes into `fhir_rest` and comes back equal."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

import fhir_profiles
from gateway.domain.generic import GenericRecord
from gateway.services.generic import UNVALIDATABLE, generic_types
from mappers.generic import generic_mapper
from mappers.r4 import has_model
from mappers.registry import MAPPERS
from tests.api.test_generic_types import RESOURCES


@pytest.mark.parametrize("resource_type", sorted(RESOURCES))
def test_round_trip_is_exact(resource_type: str) -> None:
    mapper = generic_mapper(resource_type)
    resource = RESOURCES[resource_type]
    assert mapper.to_fhir(mapper.from_fhir(resource)) == resource


@pytest.mark.parametrize("resource_type", sorted(RESOURCES))
def test_stored_document_reads_as_the_resource(resource_type: str) -> None:
    mapper = generic_mapper(resource_type)
    document = {"_id": "x", **mapper.from_fhir(RESOURCES[resource_type]).model_dump()}
    assert mapper.document_to_fhir(document) == RESOURCES[resource_type]


def test_the_record_holds_everything_but_id_and_version_meta() -> None:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": "org1",
        "meta": {"versionId": "3", "lastUpdated": "2020-01-01T00:00:00Z", "source": "#a"},
        "name": "Harbour Clinic",
    }
    record = generic_mapper("Organization").from_fhir(resource)
    assert record == GenericRecord(fhir_rest={"meta": {"source": "#a"}, "name": "Harbour Clinic"})
    assert generic_mapper("Organization").to_fhir(record) == {
        "resourceType": "Organization",
        "meta": {"source": "#a"},
        "name": "Harbour Clinic",
    }


def test_output_follows_the_element_order_of_the_type() -> None:
    resource = {
        "resourceType": "Organization",
        "name": "H",
        "active": True,
        "identifier": [{"value": "1"}],
    }
    mapper = generic_mapper("Organization")
    assert list(mapper.to_fhir(mapper.from_fhir(resource))) == [
        "resourceType", "identifier", "active", "name",
    ]  # fmt: skip


def test_one_mapper_per_type() -> None:
    assert generic_mapper("Condition") is generic_mapper("Condition")
    assert generic_mapper("Condition").resource_type == "Condition"


def _required_both_ways(resource_type: str) -> bool:
    """Whether R4's required elements are fields of the R4B model, and the reverse."""
    fields = get_fhir_model_class(resource_type).model_fields
    names = {field.alias or name for name, field in fields.items()}
    r4_required = fhir_profiles.required_elements().get(resource_type, [])
    r4b_required = {field.alias or name for name, field in fields.items() if field.is_required()}
    return all(
        any(n.startswith(r[:-3]) for n in names) if r.endswith("[x]") else r in names
        for r in r4_required
    ) and r4b_required <= set(fhir_profiles.elements()[resource_type])


def test_types_kept_whole_are_those_r4_and_r4b_agree_on() -> None:
    candidates = fhir_profiles.resource_types() - set(MAPPERS)
    in_r4b = {t for t in candidates if has_model(t)}
    assert {t for t in in_r4b if not _required_both_ways(t)} == UNVALIDATABLE
    assert generic_types() == in_r4b - UNVALIDATABLE
