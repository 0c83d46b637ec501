"""Every R4 search parameter expression of every resource type compiles, or is listed with why."""

from __future__ import annotations

import pytest

import fhir_profiles
from gateway.search.fhirpath import UnsupportedExpression, compile_component, compile_expression

# Served elsewhere (the store's own fields, or not offered at all), never through an extractor.
RESOURCE_LEVEL = frozenset(
    {
        "_id", "_lastUpdated", "_tag", "_security", "_profile", "_source",
        "_text", "_content", "_list", "_query", "_has",
    }
)  # fmt: skip
# (resource type, code) -> the reason, for expressions the compiler refuses. Every R4 expression
# compiles today; an entry here is a decision to record, and a new refusal fails the test below.
KNOWN_UNSUPPORTED: dict[tuple[str, str], str] = {}


def parameters() -> list[tuple[str, str, str]]:
    """(resource type, code, expression) for every concrete type and every parameter it has."""
    definitions = fhir_profiles.search_parameters()
    found = []
    for resource_type in sorted(fhir_profiles.resource_types()):
        for base in (resource_type, "DomainResource", "Resource"):
            for (kind, code), definition in definitions.items():
                if kind != base or definition["type"] == "special" or code in RESOURCE_LEVEL:
                    continue
                found.append((resource_type, code, definition["expression"]))
    return found


def outcome(resource_type: str, expression: str) -> str | None:
    """None when the expression compiles, else the reason it does not."""
    try:
        compile_expression(resource_type, expression)
    except UnsupportedExpression as refused:
        return str(refused)
    return None


def test_every_parameter_compiles_or_is_known_unsupported() -> None:
    refused = {
        (resource_type, code): reason
        for resource_type, code, expression in parameters()
        if (reason := outcome(resource_type, expression)) is not None
    }
    assert refused == KNOWN_UNSUPPORTED
    assert all(reason.strip() for reason in refused.values())


def test_the_definitions_are_all_there() -> None:
    """Guards the test above against an empty or partial definition set passing vacuously."""
    found = parameters()
    assert len(found) == 1699
    assert len({resource_type for resource_type, _, _ in found}) == 133  # 13 have only `_id`, ...


@pytest.mark.parametrize(("resource_type", "code", "expression"), parameters()[::37])
def test_extractors_of_an_empty_resource_find_nothing_or_one_boolean(
    resource_type: str, code: str, expression: str
) -> None:
    found = compile_expression(resource_type, expression)({})
    assert found in ([], [(False, "boolean")])


def test_every_composite_component_compiles() -> None:
    definitions = fhir_profiles.search_parameters()
    compiled = 0
    for (resource_type, _), definition in definitions.items():
        if definition["type"] != "composite" or resource_type not in fhir_profiles.resource_types():
            continue
        for component in definition["component"]:
            compile_component(resource_type, definition["expression"], component["expression"])
            compiled += 1
    assert compiled == 148
