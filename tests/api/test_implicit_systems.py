"""Tokens on plain `code` elements of types kept whole, over HTTP: the code's system is the one
of the value set its element is bound to (search.html#token), so `system|code` finds it with
that system only, and `|code` (no system) finds nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.conftest import populated_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

MR_STATUS = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
MR_INTENT = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"
APPOINTMENT = "http://hl7.org/fhir/appointmentstatus"
EVENT = "http://hl7.org/fhir/event-status"
CRITICALITY = "http://hl7.org/fhir/allergy-intolerance-criticality"
DOCUMENT = "http://hl7.org/fhir/document-reference-status"
CLAIM_USE = "http://hl7.org/fhir/claim-use"
OTHER = "http://example.org/other"
MED = {"medicationCodeableConcept": {"text": "aspirin"}, "subject": {"reference": "Patient/p1"}}
VACCINE = {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]}
CLAIM = {
    "type": {"coding": [{"code": "oral"}]},
    "patient": {"reference": "Patient/p1"},
    "created": "2024-01-01",
    "provider": {"reference": "Organization/o1"},
    "priority": {"coding": [{"code": "normal"}]},
    "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/c1"}}],
}


def _r(resource_type: str, resource_id: str, **elements: Any) -> Json:
    return {"resourceType": resource_type, "id": resource_id, **elements}


POPULATION: list[Json] = [
    _r("MedicationRequest", "mr1", status="active", intent="order", **MED),
    _r("MedicationRequest", "mr2", status="stopped", intent="plan", **MED),
    _r("MedicationRequest", "mr3", status="active", intent="proposal", **MED),
    _r("Appointment", "ap1", status="booked",
       participant=[{"actor": {"reference": "Patient/p1"}, "status": "accepted"}]),
    _r("Appointment", "ap2", status="cancelled",
       participant=[{"actor": {"reference": "Patient/p1"}, "status": "declined"}]),
    _r("Immunization", "im1", status="completed", vaccineCode=VACCINE,
       patient={"reference": "Patient/p1"}, occurrenceDateTime="2024-01-01"),
    _r("Immunization", "im2", status="not-done", vaccineCode=VACCINE,
       patient={"reference": "Patient/p1"}, occurrenceDateTime="2024-02-01"),
    _r("AllergyIntolerance", "al1", criticality="high", patient={"reference": "Patient/p1"}),
    _r("AllergyIntolerance", "al2", criticality="low", patient={"reference": "Patient/p1"}),
    _r("AllergyIntolerance", "al3", patient={"reference": "Patient/p1"}),
    _r("DocumentReference", "dr1", status="current", content=[{"attachment": {"url": "a"}}]),
    _r("DocumentReference", "dr2", status="superseded", content=[{"attachment": {"url": "b"}}]),
    _r("Claim", "cl1", status="active", use="claim", **CLAIM),
    _r("Claim", "cl2", status="active", use="preauthorization", **CLAIM),
]  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def population() -> AsyncIterator[AsyncClient]:
    async with populated_client(POPULATION) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        pytest.param("MedicationRequest", f"status={MR_STATUS}|active", ["mr1", "mr3"],
                     id="mr-status-right-system"),
        pytest.param("MedicationRequest", "status=active", ["mr1", "mr3"], id="mr-status-code"),
        pytest.param("MedicationRequest", f"status={OTHER}|active", [], id="mr-status-wrong"),
        pytest.param("MedicationRequest", "status=|active", [], id="mr-status-no-system"),
        pytest.param("MedicationRequest", f"status={MR_STATUS}|", ["mr1", "mr2", "mr3"],
                     id="mr-status-any-code"),
        pytest.param("MedicationRequest", f"status={MR_INTENT}|active", [],
                     id="mr-status-intents-system"),
        pytest.param("MedicationRequest", f"status:not={MR_STATUS}|active", ["mr2"],
                     id="mr-status-not"),
        pytest.param("MedicationRequest", f"status:not={OTHER}|active", ["mr1", "mr2", "mr3"],
                     id="mr-status-not-wrong-system"),
        pytest.param("MedicationRequest", f"intent={MR_INTENT}|order,{MR_INTENT}|plan",
                     ["mr1", "mr2"], id="mr-intent-or"),
        pytest.param("MedicationRequest", f"intent={MR_STATUS}|order", [], id="mr-intent-wrong"),
        pytest.param("MedicationRequest", f"status={MR_STATUS}|active&intent={MR_INTENT}|order",
                     ["mr1"], id="mr-status-and-intent"),
        pytest.param("Appointment", f"status={APPOINTMENT}|booked", ["ap1"], id="appointment"),
        pytest.param("Appointment", f"status={EVENT}|booked", [], id="appointment-wrong"),
        pytest.param("Immunization", f"status={EVENT}|completed", ["im1"], id="immunization"),
        pytest.param("Immunization", "status=|completed", [], id="immunization-no-system"),
        pytest.param("Immunization", f"status:not={EVENT}|completed", ["im2"],
                     id="immunization-not"),
        pytest.param("AllergyIntolerance", f"criticality={CRITICALITY}|high", ["al1"],
                     id="criticality"),
        pytest.param("AllergyIntolerance", f"criticality:not={CRITICALITY}|high", ["al2", "al3"],
                     id="criticality-not-keeps-missing"),
        pytest.param("AllergyIntolerance", "criticality:missing=true", ["al3"],
                     id="criticality-missing"),
        pytest.param("AllergyIntolerance", f"criticality={CRITICALITY}|", ["al1", "al2"],
                     id="criticality-any-code"),
        pytest.param("DocumentReference", f"status={DOCUMENT}|current", ["dr1"], id="document"),
        pytest.param("DocumentReference", f"status={OTHER}|current", [], id="document-wrong"),
        pytest.param("Claim", f"use={CLAIM_USE}|preauthorization", ["cl2"], id="claim-use"),
        pytest.param("Claim", "use=|claim", [], id="claim-use-no-system"),
    ],
)  # fmt: skip
async def test_a_plain_code_matches_with_its_implicit_system(
    population: AsyncClient, path: str, query: str, expected: list[str]
) -> None:
    response = await population.get(f"/{path}?{query}")
    assert response.status_code == 200, response.text
    entries = response.json().get("entry", [])
    assert [e for e in entries if e["search"]["mode"] == "outcome"] == []
    assert sorted(e["resource"]["id"] for e in entries) == expected
