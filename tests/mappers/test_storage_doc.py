"""docs/storage.md, the MongoDB schema other readers rely on, says what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.domain.base import derived_fields
from gateway.domain.medication_statement import Dosage
from gateway.domain.observation import ObservationComponent, ObservationRecord
from mappers import datatypes, encounter, medication_statement, observation, patient
from mappers.names import NameTable
from mappers.registry import MAPPERS

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "storage.md").read_text(encoding="utf-8")
TABLES: dict[str, NameTable] = {
    "Patient": patient.NAMES,
    "Encounter": encounter.NAMES,
    "Observation": observation.NAMES,
    "MedicationStatement": medication_statement.NAMES,
}


def documented(resource_type: str) -> tuple[dict[str, str], set[str]]:
    """The page's `key ← element` pairs and view names for one type."""
    entry = re.search(rf"^- \*\*{resource_type}\*\*: (.*?)(?=^- \*\*|^$)", PAGE, re.M | re.S)
    assert entry is not None, resource_type
    keys, _, views = entry.group(1).partition("Views:")
    pairs = re.findall(r"`(\w+)(?: ← (\w+))?`", keys)
    names = re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", views))
    return {key: element or key for key, element in pairs}, set(names)


@pytest.mark.parametrize("resource_type", sorted(TABLES))
def test_the_page_lists_each_stored_key_with_its_element(resource_type: str) -> None:
    record_type = MAPPERS[resource_type].record_type
    keys, views = documented(resource_type)

    assert keys == dict(TABLES[resource_type][record_type].fields)
    assert views == derived_fields(record_type)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@pytest.mark.parametrize("resource_type", sorted(TABLES))
def test_nested_keys_are_the_snake_case_of_their_element_but_the_listed_exceptions(
    resource_type: str,
) -> None:
    observation_keys = observation.NAMES[ObservationRecord].fields
    for model, names in TABLES[resource_type].items():
        if model is MAPPERS[resource_type].record_type or model in datatypes.NAMES:
            continue
        for key, element in names.fields.items():
            assert (
                key == _snake(element)
                or (model is ObservationComponent and observation_keys.get(key) == element)
                or (model, key) == (Dosage, "as_needed")
            ), f"{model.__name__}.{key} ← {element}"


def test_datatype_keys_are_the_snake_case_of_their_element() -> None:
    for model, names in datatypes.NAMES.items():
        assert all(key == _snake(element) for key, element in names.fields.items()), model
