"""The gateway's profile examples: each valid one without error against the profiles it
claims, each invalid one with the error `expected.json` names (path and rule)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.conformance import profile
from gateway.errors import Issue
from tests.conformance.conftest import errors

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "profiles"
EXPECTED: dict[str, dict[str, str]] = (
    json.loads((FIXTURES / "expected.json").read_text("utf-8"))
    if (FIXTURES / "expected.json").is_file()
    else {}
)


def _names(kind: str) -> list[str]:
    return sorted(p.stem for p in (FIXTURES / kind).glob("*.json"))


def _validate(kind: str, name: str) -> list[Issue]:
    resource: dict[str, Any] = json.loads((FIXTURES / kind / f"{name}.json").read_text("utf-8"))
    claimed = resource.get("meta", {}).get("profile", [])
    assert claimed, "an example names the profile it illustrates"
    issues: list[Issue] = []
    for url in claimed:
        rules = profile(url)
        assert rules is not None, f"{url} is held"
        issues += rules.validate(resource)
    return issues


@pytest.mark.parametrize("name", _names("valid"))
def test_valid_example_has_no_error(name: str) -> None:
    found = {(i.expression, i.details_code) for i in errors(_validate("valid", name))}
    assert found == set()


@pytest.mark.parametrize("name", _names("invalid"))
def test_invalid_example_has_the_expected_error(name: str) -> None:
    expected = EXPECTED[name]
    found = {(i.expression, i.details_code) for i in errors(_validate("invalid", name))}
    assert (expected["expression"], expected["key"]) in found


SIDE_EFFECT = "http://fhir-gateway.org/fhir/StructureDefinition/medication-side-effect"


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        pytest.param({"url": SIDE_EFFECT, "valueString": "nausea"}, set(), id="valid"),
        pytest.param(
            {"url": SIDE_EFFECT, "valueBoolean": True},
            {
                ("MedicationStatement.extension[0].valueBoolean", "Extension.value[x]"),
                ("MedicationStatement.extension[0].value", "Extension.value[x]"),  # min 1
            },
            id="value-type-not-allowed",
        ),
        pytest.param(
            {"url": SIDE_EFFECT},
            {
                ("MedicationStatement.extension[0].value", "Extension.value[x]"),
                ("MedicationStatement.extension[0]", "ext-1"),
            },
            id="value-missing",
        ),
    ],
)
def test_side_effect_extension_resolves_to_its_definition(
    extension: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    """Anywhere, not only where a profile slices it: its URL names a held definition."""
    resource = json.loads(
        (FIXTURES / "valid" / "medication-statement-side-effects.json").read_text("utf-8")
    )
    resource = {**resource, "extension": [extension]}
    rules = profile("http://hl7.org/fhir/StructureDefinition/MedicationStatement")
    assert rules is not None
    found = errors(rules.validate(resource))
    assert {(i.expression, i.details_code) for i in found} == expected
    assert all(i.diagnostics.endswith(f"(profile {SIDE_EFFECT})") for i in found)
