"""HL7's R4 examples against R4's own definitions and the vital signs profiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gateway.conformance import base_profile, profile
from tests.conformance.conftest import VS, errors, load
from tests.conftest import samples_dir

pytestmark = pytest.mark.corpus

_DIR = samples_dir()
EXAMPLES = sorted(p.name for p in (_DIR / "hl7-r4").glob("*.json")) if _DIR else []
VITALS = "vitalsigns vitalspanel bp bodyweight bodyheight bodytemp heartrate oxygensat resprate bmi headcircum"
# Which vital signs profiles select which example (by its LOINC code or the vital-signs category)
SELECTED = {
    "Observation-blood-pressure.json": {"vitalsigns", "bp"},
    "Observation-blood-pressure-dar.json": {"vitalsigns", "bp"},
    "Observation-bmi.json": {"vitalsigns", "bmi"},
    "Observation-body-height.json": {"vitalsigns", "bodyheight"},
    "Observation-body-temperature.json": {"vitalsigns", "bodytemp"},
    "Observation-example.json": {"vitalsigns", "bodyweight"},
    "Observation-head-circumference.json": {"vitalsigns", "headcircum"},
    "Observation-heart-rate.json": {"vitalsigns", "heartrate"},
    "Observation-respiratory-rate.json": {"vitalsigns", "resprate"},
    "Observation-satO2.json": {"vitalsigns", "oxygensat"},
    "Observation-vitals-panel.json": {"vitalsigns", "vitalspanel"},
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_hl7_example_meets_its_base_definition(fhir_samples: Path, name: str) -> None:
    resource = load(fhir_samples, name)
    issues = base_profile(resource["resourceType"]).validate(resource)
    assert errors(issues) == []


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n.startswith("Observation-")])
def test_vital_signs_profiles_select_exactly_the_vital_sign_examples(
    fhir_samples: Path, name: str
) -> None:
    resource = load(fhir_samples, name)
    selected = {n for n in VITALS.split() if _vital(n).selects(resource)}
    assert selected == SELECTED.get(name, set())


@pytest.mark.parametrize("name", sorted(SELECTED))
def test_vital_sign_example_meets_its_profiles(fhir_samples: Path, name: str) -> None:
    resource = load(fhir_samples, name)
    claimed = set(resource.get("meta", {}).get("profile", ()))
    for url in claimed | {VS + n for n in SELECTED[name]}:
        found = profile(url)
        assert found is not None, url
        assert errors(found.validate(resource)) == [], url


def test_base_definition_finds_what_the_examples_break(fhir_samples: Path) -> None:
    """A base check that finds nothing on the examples must still find something."""
    resource: dict[str, Any] = json.loads(
        json.dumps(load(fhir_samples, "Observation-blood-pressure.json"))
    )
    del resource["status"]
    resource["component"][0]["valueQuantity"]["comparator"] = "about"
    issues = base_profile("Observation").validate(resource)
    assert {(i.expression, i.details_code) for i in errors(issues)} == {
        ("Observation.status", "Observation.status"),
        ("Observation.component[0].valueQuantity.comparator", "Quantity.comparator"),
    }


def _vital(name: str) -> Any:
    found = profile(VS + name)
    assert found is not None
    return found
