"""FHIR R4 (4.0.1) definitions as data, built by `scripts/build_fhir_profiles.py`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(relative_path: str) -> Any:
    """Parse one JSON file of this package, once."""
    return json.loads(resources.files(__package__).joinpath(relative_path).read_text("utf-8"))


def elements() -> dict[str, dict[str, list[Any]]]:
    """Type -> element name -> [type code, is array, (required value set url)]."""
    result: dict[str, dict[str, list[Any]]] = load("structure-definitions/elements.json")
    return result


def resource_types() -> frozenset[str]:
    """The concrete R4 resource types (`elements()` also holds datatypes and backbones)."""
    return _resource_types()


@cache
def _resource_types() -> frozenset[str]:
    return frozenset(load("structure-definitions/resource-types.json"))


def required_value_sets() -> dict[str, frozenset[str]]:
    return _required_value_sets()


@cache
def _required_value_sets() -> dict[str, frozenset[str]]:
    raw: dict[str, list[str]] = load("value-sets/required.json")
    return {url: frozenset(codes) for url, codes in raw.items()}


def code_systems() -> dict[str, str]:
    """Value set url -> the one code system it draws from, for the value sets `code` elements
    are bound to (required): such a code's system is implicit (search.html#token)."""
    result: dict[str, str] = load("value-sets/systems.json")
    return result


def required_elements() -> dict[str, list[str]]:
    """Type -> names of its elements with min >= 1 (`medication[x]` for a required choice)."""
    result: dict[str, list[str]] = load("structure-definitions/required-elements.json")
    return result


def search_parameters() -> dict[tuple[str, str], dict[str, Any]]:
    """(resource type, code) -> the R4 SearchParameter definition; base types expanded."""
    return _search_parameters()


@cache
def _search_parameters() -> dict[tuple[str, str], dict[str, Any]]:
    bundle = load("search-parameters/search-parameters.json")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in bundle["entry"]:
        definition = entry["resource"]
        for base in definition.get("base", []):
            found.setdefault((base, definition["code"]), definition)
    return found


def compartments() -> dict[str, dict[str, tuple[str, ...]]]:
    """Compartment (`Patient`, `Encounter`, `RelatedPerson`, `Practitioner`, `Device`) ->
    resource type -> the search parameters whose reference puts a resource of that type in the
    compartment (R4 CompartmentDefinitions; `{def}` names the compartment's own resource)."""
    return _compartments()


@cache
def _compartments() -> dict[str, dict[str, tuple[str, ...]]]:
    raw: dict[str, dict[str, list[str]]] = load("compartments/compartments.json")
    return {name: {t: tuple(codes) for t, codes in types.items()} for name, types in raw.items()}
