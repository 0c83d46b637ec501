"""Invalid variants of HL7's vital sign examples: each error at its path, with its rule."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.conformance import profile
from tests.conformance.conftest import VS, found, load

pytestmark = pytest.mark.corpus
Json = dict[str, Any]
URL = VS


def _drop_diastolic(r: Json) -> None:
    del r["component"][1]


def _centimetres(r: Json) -> None:
    r["valueQuantity"].update(unit="cm", code="cm")


def _laboratory(r: Json) -> None:
    r["category"][0]["coding"][0]["code"] = "laboratory"


def _component_without_value(r: Json) -> None:
    del r["component"][0]["valueQuantity"]


def _no_value(r: Json) -> None:
    del r["valueQuantity"]


def _string_value(r: Json) -> None:
    r["valueString"] = str(r.pop("valueQuantity")["value"])


def _fahrenheit_system(r: Json) -> None:
    r["valueQuantity"]["system"] = "http://example.org/units"


def _no_effective(r: Json) -> None:
    del r["effectiveDateTime"]


def _wrong_status(r: Json) -> None:
    r["status"] = "done"


def _patientless(r: Json) -> None:
    r["subject"] = {"reference": "Medication/m1"}


CASES = [
    pytest.param(
        "Observation-blood-pressure.json",
        "bp",
        _drop_diastolic,
        {
            ("Observation.component", "Observation.component"),  # bp: min 2
            ("Observation.component", "Observation.component:DiastolicBP"),
        },
        id="bp-missing-diastolic-slice",
    ),
    pytest.param(
        "Observation-example.json",
        "bodyweight",
        _centimetres,
        {("Observation.valueQuantity.code", "Observation.valueQuantity.code")},
        id="bodyweight-in-cm",
    ),
    pytest.param(
        "Observation-heart-rate.json",
        "vitalsigns",
        _laboratory,
        {("Observation.category", "Observation.category:VSCat")},
        id="wrong-category",
    ),
    pytest.param(
        "Observation-blood-pressure.json",
        "bp",
        _component_without_value,
        {("Observation.component[0]", "vs-3")},
        id="vs-3-component-without-value",
    ),
    pytest.param(
        "Observation-heart-rate.json",
        "heartrate",
        _no_value,
        {("Observation", "vs-2")},
        id="heartrate-without-value",
    ),
    pytest.param(
        "Observation-heart-rate.json",
        "heartrate",
        _string_value,
        {("Observation.valueString", "Observation.value[x]")},
        id="heartrate-value-not-a-quantity",
    ),
    pytest.param(
        "Observation-body-temperature.json",
        "bodytemp",
        _fahrenheit_system,
        {("Observation.valueQuantity.system", "Observation.valueQuantity.system")},
        id="bodytemp-fixed-ucum-system",
    ),
    pytest.param(
        "Observation-respiratory-rate.json",
        "resprate",
        _no_effective,
        {("Observation.effective", "Observation.effective[x]")},
        id="resprate-missing-effective",
    ),
    pytest.param(
        "Observation-satO2.json",
        "oxygensat",
        _wrong_status,
        {("Observation.status", "Observation.status")},
        id="status-outside-required-binding",
    ),
    pytest.param(
        "Observation-bmi.json",
        "bmi",
        _patientless,
        {("Observation.subject", "Observation.subject")},
        id="subject-reference-target",
    ),
]


@pytest.mark.parametrize(("example", "name", "break_it", "expected"), CASES)
def test_broken_vital_sign_gives_the_error_at_its_path(
    fhir_samples: Path,
    example: str,
    name: str,
    break_it: Callable[[Json], None],
    expected: set[tuple[str, str]],
) -> None:
    resource = copy.deepcopy(load(fhir_samples, example))
    rules = profile(VS + name)
    assert rules is not None
    assert found(rules.validate(resource)) == set()
    break_it(resource)
    assert found(rules.validate(resource)) == expected


def test_issue_names_the_profile_and_the_rule(fhir_samples: Path) -> None:
    resource = load(fhir_samples, "Observation-blood-pressure.json")
    resource = {**resource, "component": resource["component"][:1]}
    rules = profile(VS + "bp")
    assert rules is not None
    [issue] = [i for i in rules.validate(resource) if "DiastolicBP" in str(i.details_code)]
    assert issue.severity == "error"
    assert issue.code == "required"
    assert issue.details_system == "http://fhir-gateway.org/fhir/CodeSystem/validation-rule"
    assert issue.diagnostics.startswith("Observation.component:DiastolicBP: ")
    assert issue.diagnostics.endswith(f" (profile {URL}bp)")
