"""Compiled once; malformed shapes give issues, never exceptions."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.conformance import base_profile, profile, registry
from gateway.conformance.compile import compile_snapshot
from tests.conformance.conftest import VS, errors, load

Json = dict[str, Any]
REPLACEMENTS: list[Any] = ["text", 7, True, None, [], {}, [1, "x"], {"a": {"b": []}}, [{}]]


def test_profile_is_compiled_once(fhir_samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str] = []

    def spy(definition: Json) -> Any:
        compiled.append(definition["url"])
        return compile_snapshot(definition)

    monkeypatch.setattr(registry, "compile_snapshot", spy)
    profile.cache_clear()
    registry.compiled.cache_clear()
    resource = load(fhir_samples, "Observation-example.json")
    first = profile(VS + "bodyweight")
    assert first is not None
    for _ in range(3):
        assert profile(VS + "bodyweight") is first
        first.validate(resource)
    assert compiled.count(VS + "bodyweight") == 1
    assert len(compiled) == len(set(compiled))  # each datatype the walk met, once too
    profile.cache_clear()
    registry.compiled.cache_clear()


def test_profile_not_held_is_none() -> None:
    assert profile("http://example.org/StructureDefinition/nothing") is None
    assert profile(VS + "bodyweight|9.9.9") is None
    with pytest.raises(KeyError):
        base_profile("NoSuchType")


def _mutations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _mutations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _mutations(item, (*path, index))


def _replace(resource: Json, path: tuple[Any, ...], value: Any) -> Json:
    changed = copy.deepcopy(resource)
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["Observation-blood-pressure.json", "Patient-example.json"])
def test_malformed_shapes_never_raise(fhir_samples: Path, name: str) -> None:
    resource = load(fhir_samples, name)
    rules = profile(VS + "bp") if name.startswith("Observation") else base_profile("Patient")
    assert rules is not None
    broken = 0
    for path in _mutations(resource):
        if path == ("resourceType",):
            continue
        for value in REPLACEMENTS:
            issues = rules.validate(_replace(resource, path, value))
            broken += bool(errors(issues))
    assert broken > 0


def test_not_a_resource_never_raises() -> None:
    rules = base_profile("Observation")
    for value in ([], "Observation", {"resourceType": 3}, {}):
        assert errors(rules.validate(value))  # type: ignore[arg-type]
