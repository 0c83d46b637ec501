"""An EHR's FHIR read as NoraHealth: Synthea patients, foreign conditions, allergies, weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway import jsonio
from gateway.jsonio import Json
from mappers.apps.base import AppAdapter, Exported, FhirView
from mappers.apps.norahealth.models import HealthProfile, ProgressMetric
from tests.mappers.apps.norahealth.conftest import read_back

SYNTHEA = "Jorge_Brekke_*.json"  # conditions, food allergies and body weights


def _resolved(bundle: Json) -> list[Json]:
    """A transaction's resources with `urn:uuid:` references made `Type/id`, as stored."""
    types = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("reference")
            if isinstance(ref, str) and ref in types:
                return {**value, "reference": f"{types[ref]}/{ref.removeprefix('urn:uuid:')}"}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return [walk(e["resource"]) for e in bundle["entry"]]


def _synthea(samples: Path, pattern: str) -> tuple[Json, list[Json]]:
    (path,) = sorted((samples / "synthea").glob(pattern))
    resources = _resolved(jsonio.loads(path.read_bytes()))
    (patient,) = [r for r in resources if r["resourceType"] == "Patient"]
    return patient, resources


def test_every_synthea_patient_reads_back_as_rows_the_models_accept(
    nora: AppAdapter, fhir_samples: Path
) -> None:
    for path in sorted((fhir_samples / "synthea").glob("*.json")):
        patient, resources = _synthea(fhir_samples, path.name)
        for exported in read_back(nora, resources, patient):
            model = type(exported.row)
            assert model.model_validate(exported.row.model_dump()) == exported.row, path.name


def test_a_synthea_patient_becomes_a_user_with_weights(
    nora: AppAdapter, fhir_samples: Path
) -> None:
    patient, resources = _synthea(fhir_samples, SYNTHEA)
    rows = read_back(nora, resources, patient)
    entities = [e.entity for e in rows]
    assert entities[0] == "users"
    user = rows[0].row
    assert user.model_dump(exclude_none=True) == {
        "id": patient["id"],
        "display_name": "Jorge Brekke",
        "status": "NOT_VERIFIED",
        "role": "USER",
        "created_at": 0,
    }
    weights = [
        r
        for r in resources
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "29463-7"
    ]
    metrics = [e for e in rows if e.entity == "progress_metrics"]
    assert len(metrics) == len(weights) > 0
    first = metrics[0].row
    assert isinstance(first, ProgressMetric)
    assert (first.type, first.value) == ("WEIGHT", _text(weights[0]["valueQuantity"]["value"]))
    # without a NoraHealth health profile, conditions and allergies have no row to join
    assert "health_profiles" not in entities


def _text(value: float) -> str:
    return jsonio.dumps(value).decode()


def _foreign(resource_type: str, id_: str, patient_ref: str, **fields: Any) -> Json:
    key = "patient" if resource_type == "AllergyIntolerance" else "subject"
    return {"resourceType": resource_type, "id": id_, key: {"reference": patient_ref}, **fields}


def _profile(rows: list[Exported]) -> tuple[HealthProfile, tuple[str, ...]]:
    (found,) = [e for e in rows if e.entity == "health_profiles"]
    assert isinstance(found.row, HealthProfile)
    return found.row, found.sources


def test_ehr_conditions_and_food_allergies_join_the_users_health_profile(
    nora: AppAdapter, golden_fhir: list[Json]
) -> None:
    patient = golden_fhir[1]  # 01HQ3K6W…: exclusions PEANUTS, EGGS; no medical redlines
    ref = f"Patient/{patient['id']}"
    active = {"coding": [{"code": "active"}]}
    extra = [
        _foreign(
            "Condition",
            "ehr-t2d",
            ref,
            clinicalStatus=active,
            code={
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "44054006",
                        "display": "Diabetes mellitus type 2 (disorder)",
                    }
                ]
            },
        ),
        _foreign(
            "Condition",
            "ehr-sinusitis",
            ref,
            clinicalStatus={"coding": [{"code": "resolved"}]},
            code={"text": "Viral sinusitis"},
        ),
        _foreign(
            "Condition",
            "ehr-employment",
            ref,
            clinicalStatus=active,
            code={"coding": [{"display": "Full-time employment (finding)"}]},
        ),
        _foreign(
            "AllergyIntolerance",
            "ehr-soya",
            ref,
            category=["food"],
            code={"text": "Allergy to soya"},
        ),
        _foreign(
            "AllergyIntolerance",
            "ehr-penicillin",
            ref,
            category=["medication"],
            code={"text": "Penicillin"},
        ),
    ]
    own = read_back(nora, golden_fhir, patient)
    before, _ = _profile(own)
    after, sources = _profile(read_back(nora, [*golden_fhir, *extra], patient))
    assert after.medical_redlines == '["Diabetes mellitus type 2 (disorder)"]'
    assert after.dietary_exclusions == '["PEANUTS", "EGGS", "Allergy to soya"]'
    assert after.model_dump(exclude={"medical_redlines", "dietary_exclusions"}) == (
        before.model_dump(exclude={"medical_redlines", "dietary_exclusions"})
    )
    assert {s for s in sources if "ehr-" in s} == {
        "Condition/ehr-t2d",
        "AllergyIntolerance/ehr-soya",
    }


@pytest.mark.parametrize(
    ("quantity", "value"),
    [
        pytest.param({"value": 154.0, "code": "[lb_av]"}, "69.85", id="pounds"),
        pytest.param({"value": 70500, "code": "g"}, "70.50", id="grams"),
        pytest.param({"value": 70.25, "code": "kg"}, "70.25", id="kilograms"),
    ],
)
def test_an_ehr_body_weight_becomes_a_weight_in_kilograms(
    nora: AppAdapter, quantity: Json, value: str
) -> None:
    patient = {"resourceType": "Patient", "id": "p1"}
    weight = {
        "resourceType": "Observation",
        "id": "w1",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-01-25T08:00:00Z",
        "valueQuantity": {**quantity, "system": "http://unitsofmeasure.org"},
    }
    rows = nora.from_fhir(FhirView("norahealth", patient, [patient, weight]))
    assert [row_dump(e) for e in rows if e.entity == "progress_metrics"] == [
        {
            "id": "w1",
            "user_id": "p1",
            "type": "WEIGHT",
            "value": value,
            "date": 1706169600,
            "created_at": 1706169600,
        }
    ]


def row_dump(exported: Exported) -> Json:
    return exported.row.model_dump(exclude_none=True)
