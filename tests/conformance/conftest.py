"""Helpers for the profile validator's tests: HL7 examples, a small terminology fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import Issue

VS = "http://hl7.org/fhir/StructureDefinition/"


class FakeTerminology:
    """Value sets as sets of (system, code); `None` members mean "cannot enumerate"."""

    def __init__(self, value_sets: dict[str, set[tuple[str, str]] | None]) -> None:
        self.value_sets = value_sets

    def holds_value_set(self, url: str) -> bool:
        return url.split("|")[0] in self.value_sets

    def contains(self, url: str, system: str | None, code: str) -> bool | None:
        members = self.value_sets[url.split("|")[0]]
        if members is None:
            return None
        return any(c == code and (system is None or s == system) for s, c in members)


def load(directory: Path, name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((directory / "hl7-r4" / name).read_text("utf-8"))
    return result


def errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


def found(issues: list[Issue]) -> set[tuple[str | None, str | None]]:
    """(expression, details_code) of every error."""
    return {(i.expression, i.details_code) for i in errors(issues)}


@pytest.fixture
def bp_example(fhir_samples: Path) -> dict[str, Any]:
    return load(fhir_samples, "Observation-blood-pressure.json")
