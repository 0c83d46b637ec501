"""The registry against the R4 SearchParameter definitions it claims to implement."""

from __future__ import annotations

import pytest

import fhir_profiles
from gateway.search.parameters import ALL, REGISTRY, UNSUPPORTED

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
    assert code in REGISTRY[resource_type] or code in UNSUPPORTED


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
