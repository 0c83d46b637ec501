"""`Medications` -> MedicationStatement (medication-statement-side-effects), `MedicationLogs` ->
MedicationAdministration (medication-dose-log) pointing at it through supportingInformation
(R4's partOf cannot name a MedicationStatement). https://hl7.org/fhir/R4/medicationstatement.html
"""

from __future__ import annotations

import re

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, RowProblem, home, no_home
from mappers.apps.heart_recovery.common import patient_ref
from mappers.apps.heart_recovery.fhir import BOOKKEEPING, UCUM, compact, profiled
from mappers.apps.heart_recovery.models import Medication, MedicationLog
from mappers.apps.native import fhir_datetime
from mappers.medication_statement import SIDE_EFFECT_URL

__all__ = ["DOSE_LOG", "MEDICATION", "WHEN"]

WHEN = {"morning": "MORN", "afternoon": "AFT", "evening": "EVE", "night": "NIGHT", "bedtime": "HS"}
STATUS = {True: "active", False: "completed", None: "unknown"}
_DOSE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(mg|g|mcg|ug|mL|ml|units?|tablets?|capsules?|puffs?)?\s*")
_UCUM = {"mg": "mg", "g": "g", "mcg": "ug", "ug": "ug", "mL": "mL", "ml": "mL"}


def statement(row: Medication, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Medications", row.id)
    when = WHEN.get(row.timeOfDay or "")
    dosage = compact({
        "text": row.dosage,
        "timing": {"code": {"text": row.frequency}, "repeat": {"when": [when]} if when else None},
        "additionalInstruction": [{"text": row.timeOfDay}] if row.timeOfDay and not when else None,
        "patientInstruction": row.instructions,
    })  # fmt: skip
    says = any(k in dosage for k in ("text", "timing"))  # gw-med-1: the profile needs one
    return [compact({
        "resourceType": "MedicationStatement",
        "id": identity.resource_id(),
        "meta": profiled("medication-statement-side-effects") if says else None,
        "identifier": [identity.identifier()],
        "extension": [{"url": SIDE_EFFECT_URL, "valueString": row.sideEffects}]
        if row.sideEffects
        else None,
        "status": STATUS[row.isActive],
        "medicationCodeableConcept": {"text": row.name},
        "subject": patient_ref(ctx, row.userId),
        "effectivePeriod": {"start": _time(row.startDate), "end": _time(row.endDate)},
        "dateAsserted": _time(row.createdAt),
        "informationSource": {"display": row.prescribedBy},
        "reasonCode": [{"text": row.purpose}],
        "dosage": [dosage],
    })]  # fmt: skip


def dose_log(row: MedicationLog, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("MedicationLogs", row.id)
    taken = ctx.resource("Medications", row.medicationId)
    if taken is None:
        raise RowProblem(
            "medicationId", f"`Medications` row `{row.medicationId}` has no statement."
        )
    return [compact({
        "resourceType": "MedicationAdministration",
        "id": identity.resource_id(),
        "meta": profiled("medication-dose-log"),
        "identifier": [identity.identifier()],
        "status": "completed",
        "medicationCodeableConcept": taken["medicationCodeableConcept"],
        "subject": patient_ref(ctx, row.userId),
        "supportingInformation": [ctx.identity("Medications", row.medicationId).reference("MedicationStatement")],
        "effectiveDateTime": fhir_datetime(row.takenAt),
        "note": [{"text": row.notes}],
        "dosage": {"text": row.dosageTaken, "dose": _dose(row.dosageTaken)} if row.dosageTaken else None,
    })]  # fmt: skip


def _time(instant: str | None) -> str | None:
    return fhir_datetime(instant) if instant else None


def _dose(text: str) -> Json:
    """The amount as a Quantity (R4's mad-1 wants dose or rate beside the text); an amount that
    is no number is a data-absent dose, the text keeping what the app wrote."""
    match = _DOSE.fullmatch(text)
    if match is None:
        return {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                               "valueCode": "unsupported"}]}  # fmt: skip
    value, unit = match.groups()
    number: float | int = float(value) if "." in value else int(value)
    code = _UCUM.get(unit or "")
    return compact({"value": number, "unit": unit, "system": UCUM if code else None, "code": code})


MEDICATION = Entity(
    name="Medications",
    model=Medication,
    to_fhir=statement,
    primary=("MedicationStatement",),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("MedicationStatement.identifier (…/Medications)"),
        "userId": home("MedicationStatement.subject"),
        "name": home("MedicationStatement.medicationCodeableConcept.text"),
        "dosage": home("MedicationStatement.dosage.text"),
        "frequency": home("MedicationStatement.dosage.timing.code.text"),
        "timeOfDay": home(
            "MedicationStatement.dosage.timing.repeat.when (morning MORN, afternoon AFT, evening "
            "EVE, night NIGHT, bedtime HS), else dosage.additionalInstruction.text"
        ),
        "startDate": home("MedicationStatement.effectivePeriod.start"),
        "endDate": home("MedicationStatement.effectivePeriod.end"),
        "prescribedBy": home("MedicationStatement.informationSource.display"),
        "purpose": home("MedicationStatement.reasonCode.text"),
        "sideEffects": home("MedicationStatement.extension medication-side-effect (valueString)"),
        "instructions": home("MedicationStatement.dosage.patientInstruction"),
        "isActive": home("MedicationStatement.status (true active, false completed, null unknown)"),
        "createdAt": home("MedicationStatement.dateAsserted"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)

DOSE_LOG = Entity(
    name="MedicationLogs",
    model=MedicationLog,
    to_fhir=dose_log,
    primary=("MedicationAdministration",),
    foreign_keys={"medicationId": "Medications", "userId": "Users"},
    fields={
        "id": home("MedicationAdministration.identifier (…/MedicationLogs)"),
        "medicationId": home(
            "MedicationAdministration.supportingInformation -> MedicationStatement"
        ),
        "userId": home("MedicationAdministration.subject"),
        "takenAt": home("MedicationAdministration.effectiveDateTime"),
        "dosageTaken": home("MedicationAdministration.dosage.text (and dosage.dose when a number)"),
        "notes": home("MedicationAdministration.note.text"),
        "createdAt": no_home(BOOKKEEPING),
        "updatedAt": no_home(BOOKKEEPING),
    },
)
