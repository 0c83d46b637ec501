"""The registry against the R4 SearchParameter definitions it claims to implement."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

import fhir_profiles
from gateway.domain.patient import PatientRecord
from gateway.search.model import SearchParameter
from gateway.search.parameters import ALL, REGISTRY, unsupported_parameters
from gateway.search.paths import dotted
from mappers.registry import MAPPERS

R4_OF_OUR_TYPES = sorted(
    {
        (resource_type, code)
        for (base, code) in fhir_profiles.search_parameters()
        for resource_type in ALL
        if base in (resource_type, "Resource", "DomainResource")
    }
)


@pytest.mark.parametrize(("resource_type", "code"), R4_OF_OUR_TYPES, ids=lambda v: str(v))
def test_every_r4_parameter_of_our_types_is_offered_or_explained(
    resource_type: str, code: str
) -> None:
    assert code in REGISTRY[resource_type] or code in unsupported_parameters(resource_type)


@pytest.mark.parametrize(
    ("resource_type", "code"),
    [(t, c) for t, parameters in REGISTRY.items() for c in parameters],
    ids=lambda v: str(v),
)
def test_registered_parameters_match_their_r4_definition(resource_type: str, code: str) -> None:
    definitions = fhir_profiles.search_parameters()
    definition = definitions.get((resource_type, code)) or definitions[("Resource", code)]
    parameter = REGISTRY[resource_type][code]
    expected_type = "token" if code == "_id" else definition["type"]
    assert parameter.type == expected_type
    assert set(parameter.targets) <= set(definition.get("target", []))


def test_composites_name_their_r4_components_in_order() -> None:
    definitions = fhir_profiles.search_parameters()
    for code, parameter in REGISTRY["Observation"].items():
        if parameter.type != "composite":
            continue
        components = definitions[("Observation", code)]["component"]
        assert len(parameter.parts) == len(components), code


STORED_ELSEWHERE = ("fhir_rest.", "index.", "sort.")  # verbatim FHIR, computed search values
SERVICE_FIELDS = {"_id", "version_id", "last_updated"}


def _stored_paths(parameter: SearchParameter) -> Iterator[str]:
    """The document paths a parameter reads, composite parts included (inside their scope)."""
    yield from parameter.paths
    if parameter.sort_path:
        yield parameter.sort_path
    for part in parameter.parts:
        for path in _stored_paths(part):
            if parameter.scope:
                yield f"{parameter.scope}.{path}"
            if parameter.also_resource or not parameter.scope:
                yield path


def _resolves(model: type[BaseModel], path: str) -> bool:
    """Whether each segment of `path` is a field of the model the previous one holds."""
    current: type[BaseModel] | None = model
    for segment in dotted(path).split("."):
        if current is None or segment not in current.model_fields:
            return False
        current = _model_of(current.model_fields[segment].annotation)
    return True


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_of, typing.get_args(annotation))), None)


@pytest.mark.parametrize(
    ("resource_type", "code", "path"),
    [
        pytest.param(t, code, path, id=f"{t}-{code}-{path}")
        for t in ALL
        for code, parameter in REGISTRY[t].items()
        for path in dict.fromkeys(_stored_paths(parameter))
    ],
)
def test_every_registry_path_names_a_stored_field(resource_type: str, code: str, path: str) -> None:
    record_type = MAPPERS[resource_type].record_type
    assert (
        path in SERVICE_FIELDS or path.startswith(STORED_ELSEWHERE) or _resolves(record_type, path)
    ), f"{code}: `{path}` is not a field of {record_type.__name__}"


@pytest.mark.parametrize(
    ("path", "resolves"),
    [
        pytest.param("addresses.postal_code", True, id="nested-field"),
        pytest.param("addresses.postalCode", False, id="fhir-name-of-a-nested-field"),
        pytest.param("address.city", False, id="fhir-name-of-a-record-field"),
        pytest.param("names.given.x", False, id="past-a-leaf"),
        pytest.param("birth_date.start", True, id="into-a-date"),
    ],
)
def test_a_path_resolves_only_through_model_fields(path: str, resolves: bool) -> None:
    assert _resolves(PatientRecord, path) is resolves
