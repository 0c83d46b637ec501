"""The walk's shortcuts never change a finding: every record, and every one-value mutation of
it, gets the same issues, in the same order, from the plain walk (`findings.SHORTCUTS` off) as
from the walk with its shortcuts (single values passed over in `Walk.members`) and its memo of
clean subtrees (`clean`) warm; and values whose walk read their context are never skipped."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.conformance import Profile, base_profile, clean, findings, profile, walk
from gateway.errors import Issue
from tests.conformance.conftest import VS, load

Json = dict[str, Any]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "profiles"
REPLACEMENTS: list[Any] = ["text", 7, True, [], {"id": "x"}]
VITALS = {
    "Observation-blood-pressure.json": "bp",
    "Observation-blood-pressure-dar.json": "bp",
    "Observation-example.json": "bodyweight",
    "Observation-vitals-panel.json": "vitalspanel",
    "Observation-satO2.json": "oxygensat",
}


def _mutants(resource: Json) -> Iterator[Json]:
    """The resource, then each copy with one value (at any depth) replaced, and each with a
    `_name` sibling added to one element (an extension of a primitive, or a stray key)."""
    yield resource
    paths: list[tuple[Any, ...]] = []
    _paths(resource, (), paths)
    for path in paths:
        if path == ("resourceType",):
            continue
        for replacement in REPLACEMENTS:
            changed = copy.deepcopy(resource)
            target: Any = changed
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = replacement
            yield changed
        if isinstance(path[-1], str):
            changed = copy.deepcopy(resource)
            target = changed
            for step in path[:-1]:
                target = target[step]
            target["_" + path[-1]] = {"extension": [{"url": "http://x.org", "valueString": "x"}]}
            yield changed


def _paths(value: Any, path: tuple[Any, ...], found: list[tuple[Any, ...]]) -> None:
    if isinstance(value, dict):
        items: Any = value.items()
    else:
        items = enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append((*path, key))
        _paths(item, (*path, key), found)


def _plain_walk(
    monkeypatch: pytest.MonkeyPatch, cases: list[tuple[Profile, Json]]
) -> list[list[Issue]]:
    with monkeypatch.context() as patched:
        patched.setattr(findings, "SHORTCUTS", False)
        return [rules.validate(resource) for rules, resource in cases]


def _assert_shortcuts_change_nothing(
    monkeypatch: pytest.MonkeyPatch, cases: list[tuple[Profile, Json]]
) -> None:
    expected = _plain_walk(monkeypatch, cases)
    clean.forget()
    for _ in range(2):  # cold, then with every clean value of every case remembered
        for (rules, resource), issues in zip(cases, expected, strict=True):
            assert rules.validate(resource) == issues, json.dumps(resource)[:300]


def _fixture_cases() -> list[tuple[Profile, Json]]:
    cases = []
    for path in sorted(FIXTURES.glob("*/*.json")):  # the invalid ones are mutants already
        resource = json.loads(path.read_text("utf-8"))
        for url in resource.get("meta", {}).get("profile", []):
            rules = profile(url)
            assert rules is not None, url
            mutants = _mutants(resource) if path.parent.name == "valid" else [resource]
            cases += [(rules, mutant) for mutant in mutants]
    return cases


def test_shortcuts_change_no_finding_on_the_gateway_fixtures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cases = _fixture_cases()
    assert len(cases) > 1000
    _assert_shortcuts_change_nothing(monkeypatch, cases)


@pytest.mark.corpus
def test_shortcuts_change_no_finding_on_the_vital_signs(
    fhir_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases: list[tuple[Profile, Json]] = []
    for name, profile_name in VITALS.items():
        resource = load(fhir_samples, name)
        rules = profile(VS + profile_name)
        assert rules is not None
        cases += [(rules, mutant) for mutant in _mutants(resource)]
        cases.append((base_profile("Observation"), resource))
    _assert_shortcuts_change_nothing(monkeypatch, cases)


@pytest.mark.corpus
def test_a_repeated_value_is_walked_once(
    fhir_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules, resource = profile(VS + "bp"), load(fhir_samples, "Observation-blood-pressure.json")
    assert rules is not None
    walked: list[str] = []
    occurrence = walk.Walk._occurrence

    def spy(self: walk.Walk, item: Any, rule: Any, type_code: str, path: str, root: Json) -> None:
        walked.append(path)
        occurrence(self, item, rule, type_code, path, root)

    monkeypatch.setattr(walk.Walk, "_occurrence", spy)
    clean.forget()
    first = rules.validate(resource)
    cold = list(walked)
    walked.clear()
    assert rules.validate(resource) == first
    assert "Observation.code" in cold
    assert "Observation.code" not in walked
    assert len(walked) < len(cold) / 2


def test_a_value_whose_walk_read_the_resource_is_not_remembered() -> None:
    """ref-1 resolves `#p1` in the root's `contained`: the same extension is valid in the
    first Observation, which contains p1, and not in the second, which does not."""
    extension = {"url": "http://example.org/x", "valueReference": {"reference": "#p1"}}
    patient = {"resourceType": "Patient", "id": "p1"}
    holding = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "contained": [patient],
        "extension": [extension],
    }
    lacking = {key: value for key, value in holding.items() if key != "contained"}
    rules = base_profile("Observation")
    clean.forget()
    assert "ref-1" not in {i.details_code for i in rules.validate(holding)}
    assert "ref-1" in {i.details_code for i in rules.validate(lacking)}


def test_a_reference_judged_by_the_bundle_entries_is_not_remembered() -> None:
    """The same `urn:uuid:` subject is a Patient in one Bundle and a Medication in the other."""

    def bundle(target_type: str) -> Json:
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "subject": {"reference": "urn:uuid:1"},
        }
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": "urn:uuid:1", "resource": {"resourceType": target_type}},
                {"fullUrl": "urn:uuid:2", "resource": observation},
            ],
        }

    rules = base_profile("Bundle")
    clean.forget()
    wrong = "Bundle.entry[1].resource.subject"
    assert wrong not in {i.expression for i in rules.validate(bundle("Patient"))}
    assert wrong in {i.expression for i in rules.validate(bundle("Medication"))}


def test_a_large_value_is_not_remembered() -> None:
    coding = {"system": "http://example.org", "code": "x"}
    large = {"coding": [coding], "text": "x" * clean.LARGEST}
    rules = base_profile("Coding").root
    assert clean.key(coding, rules, "Coding", False) is not None
    assert clean.key(large, rules, "CodeableConcept", False) is None
