"""Symptom -> Observation (profile symptom); Prescription -> MedicationRequest.

Both belong to a medical record, so to its visit: subject and encounter are the record's
Composition's (`ctx.resource("MedicalRecord", id)`).
https://hl7.org/fhir/R4/observation.html, medicationrequest.html
"""

from __future__ import annotations

import re

from gateway.jsonio import ExactDecimal, Json
from mappers.apps.base import MappingContext, RowProblem
from mappers.apps.medrecord.common import PROFILE, UCUM, ai_flag, instant, meta
from mappers.apps.medrecord.models import Prescription, Symptom
from mappers.apps.native import fhir_datetime

__all__ = ["DURATION", "DURATION_UNITS", "prescription_to_fhir", "symptom_to_fhir"]

DURATION = {"text": "Duration"}
# "10 days", "2 weeks": a duration R4 can hold as Dosage.timing.repeat.boundsDuration
DURATION_UNITS = {"min": "min", "hour": "h", "day": "d", "week": "wk", "month": "mo", "year": "a"}
_DURATION_TEXT = re.compile(r"(\d+(?:\.\d+)?) ((min|hour|day|week|month|year)s?)")


def _visit(ctx: MappingContext, record_id: str) -> Json:
    """The record's Composition: its subject, encounter and author are the row's too."""
    composition = ctx.resource("MedicalRecord", record_id)
    if composition is None or not {"subject", "encounter"} <= composition.keys():
        raise RowProblem("medicalRecordId", f"medical record `{record_id}` names no visit.")
    return composition


def symptom_to_fhir(row: Symptom, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Symptom", row.id)
    visit = _visit(ctx, row.medicalRecordId)
    ai = row.isAIExtracted if row.isAIExtracted is not None else row.aiGenerated
    observation: Json = {
        "resourceType": "Observation",
        "id": identity.resource_id(),
        "meta": meta(f"{PROFILE}/symptom", row, "name", "aiGenerated"),
        "identifier": [identity.identifier()],
        "extension": ai_flag(ai),
        "status": "final",
        "code": {"text": row.symptomName or row.name},
        "subject": visit["subject"],
        "encounter": visit["encounter"],
    }
    if row.createdAt is not None:
        observation["issued"] = instant(row.createdAt, "createdAt")
    if row.severity is not None:
        observation["valueInteger"] = row.severity
    if row.notes is not None:
        observation["note"] = [{"text": row.notes}]
    if row.bodySite is not None:
        observation["bodySite"] = {"text": row.bodySite}
    if row.duration is not None:  # Observation has no duration; free text as a component
        observation["component"] = [{"code": DURATION, "valueString": row.duration}]
    return [{k: v for k, v in observation.items() if v != []}]


def prescription_to_fhir(row: Prescription, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Prescription", row.id)
    visit = _visit(ctx, row.medicalRecordId)
    ai = row.isAIExtracted if row.isAIExtracted is not None else row.aiGenerated
    name = row.medicationName or row.medication
    request: Json = {
        "resourceType": "MedicationRequest",
        "id": identity.resource_id(),
        "meta": meta(None, row, "medication", "aiGenerated"),
        "identifier": [identity.identifier()],
        "extension": ai_flag(ai),
        "status": "active",
        "intent": "order",
        **_medication(name or "", row.strength),
        "subject": visit["subject"],
        "encounter": visit["encounter"],
        "dosageInstruction": [_dosage(row)],
    }
    if visit.get("author"):
        request["requester"] = visit["author"][0]
    if row.createdAt is not None:
        request["authoredOn"] = fhir_datetime(row.createdAt)
    if row.indication is not None:
        request["reasonCode"] = [{"text": row.indication}]
    dispense: Json = {}
    if row.refills is not None:
        dispense["numberOfRepeatsAllowed"] = row.refills
    if row.quantity is not None:
        dispense["quantity"] = {"value": row.quantity}
    if dispense:
        request["dispenseRequest"] = dispense
    return [{k: v for k, v in request.items() if v not in ([], {})}]


def _medication(name: str, strength: str | None) -> Json:
    """The drug as the app names it. With a strength, a contained Medication whose code text is
    the product ("Lisinopril 10 mg") and whose ingredient is the drug named alone, so name and
    strength come back apart (Medication.ingredient.strength is a Ratio, not text)."""
    if strength is None:
        return {"medicationCodeableConcept": {"text": name}}
    medication = {
        "resourceType": "Medication",
        "id": "medication",
        "code": {"text": f"{name} {strength}"},
        "ingredient": [{"itemCodeableConcept": {"text": name}, "isActive": True}],
    }
    return {"contained": [medication], "medicationReference": {"reference": "#medication"}}


def _dosage(row: Prescription) -> Json:
    """dosage -> Dosage.text, frequency -> timing.code.text, instructions ->
    patientInstruction, duration -> timing.repeat.boundsDuration (or, when it is no
    "<number> <unit>", additionalInstruction text)."""
    timing: Json = {"code": {"text": row.frequency}}
    dosage: Json = {"text": row.dosage, "timing": timing}
    if row.duration is not None:
        match = _DURATION_TEXT.fullmatch(row.duration)
        if match:
            number, unit, stem = match.groups()
            value = int(number) if "." not in number else ExactDecimal(number)
            code = DURATION_UNITS[stem]
            timing["repeat"] = {
                "boundsDuration": {"value": value, "unit": unit, "system": UCUM, "code": code}
            }
        else:
            dosage["additionalInstruction"] = [{"text": row.duration}]
    if row.instructions is not None:
        dosage["patientInstruction"] = row.instructions
    return dosage
