"""FHIR -> `Medications` and `MedicationLogs`. The app's own statements come back as sent; an
EHR's MedicationStatement or MedicationRequest becomes a Medications row (id
`stable_int("<Type>/<id>")`) with the drug's text, dosage text and period or authored date."""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.heart_recovery.common import is_foreign
from mappers.apps.heart_recovery.fhir import first
from mappers.apps.heart_recovery.medications import STATUS, WHEN
from mappers.apps.heart_recovery.models import Medication, MedicationLog
from mappers.apps.heart_recovery.users import user_id
from mappers.apps.native import stable_int
from mappers.apps.view import Exported, FhirView
from mappers.apps.view import concept_text as text_of
from mappers.medication_statement import SIDE_EFFECT_URL

__all__ = ["rows"]


def rows(view: FhirView) -> list[Exported]:
    out: list[Exported] = []
    for resource in [*view.of_type("MedicationStatement"), *view.of_type("MedicationRequest")]:
        row = _medication(view, resource)
        if row is not None:
            out.append(Exported("Medications", row, (view.ref(resource),)))
    for given in view.of_type("MedicationAdministration"):
        native = view.native_id(given, "MedicationLogs")
        taken = view.get(next(iter(given.get("supportingInformation", ())), None))
        medication = view.native_id(taken, "Medications") if taken else None
        if native is None or medication is None or "effectiveDateTime" not in given:
            continue
        log = MedicationLog(
            id=int(native),
            medicationId=int(medication),
            userId=user_id(view, view.get(given.get("subject")) or view.patient),
            takenAt=given["effectiveDateTime"],
            dosageTaken=given.get("dosage", {}).get("text"),
            notes=next((n.get("text") for n in given.get("note", ())), None),
        )
        out.append(Exported("MedicationLogs", log, (view.ref(given),)))
    return out


def _medication(view: FhirView, resource: Json) -> Medication | None:
    native = view.native_id(resource, "Medications")
    if native is None and not is_foreign(resource):
        return None  # another table's record
    name = text_of(resource.get("medicationCodeableConcept"))
    if name is None:
        name = (view.get(resource.get("medicationReference")) or {}).get("code", {}).get("text")
    if name is None:
        return None
    dosage: Json = next(iter(resource.get("dosage") or resource.get("dosageInstruction") or ()), {})
    timing = dosage.get("timing", {})
    when = next(iter(timing.get("repeat", {}).get("when", ())), None)
    period = resource.get("effectivePeriod", {})
    side = first(resource.get("extension", ()), url=SIDE_EFFECT_URL) or {}
    status = resource.get("status")
    return Medication(
        id=int(native) if native else stable_int(view.ref(resource)),
        userId=user_id(view, view.get(resource.get("subject")) or view.patient),
        name=name,
        dosage=dosage.get("text"),
        frequency=text_of(timing.get("code")),
        timeOfDay=next((k for k, v in WHEN.items() if v == when), None)
        or text_of(next(iter(dosage.get("additionalInstruction", ())), None)),
        startDate=period.get("start") or resource.get("authoredOn"),
        endDate=period.get("end"),
        prescribedBy=(resource.get("informationSource") or resource.get("requester") or {}).get(
            "display"
        ),
        purpose=text_of(next(iter(resource.get("reasonCode", ())), None)),
        sideEffects=side.get("valueString"),
        instructions=dosage.get("patientInstruction"),
        isActive=next((k for k, v in STATUS.items() if v == status), False),
        createdAt=resource.get("dateAsserted"),
    )
