"""medication <-> MedicationStatement (medication-statement-side-effects).
https://hl7.org/fhir/R4/medicationstatement.html

The name is `medicationCodeableConcept.text` (the app has no code); the dosage ("500mg") the
`Dosage.text`, the frequency ("twice daily") the `Dosage.timing.code.text`; startDate/endDate
the `effectivePeriod`, and the status follows from it: `completed` once there is an end date,
else `active`. The event date is `dateAsserted`, the prescriber `informationSource` (display),
the reason `reasonCode.text`, each side effect one `medication-side-effect` extension
(`valueString`, mappers.medication_statement.SIDE_EFFECT_URL).
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.medical_twin.codes import profile
from mappers.apps.medical_twin.common import first_note, head, narrative, note, patient, present
from mappers.apps.medical_twin.models import Medication
from mappers.apps.native import fhir_datetime
from mappers.apps.view import concept_text
from mappers.medication_statement import SIDE_EFFECT_URL


def to_fhir(row: Medication, ctx: MappingContext) -> list[Json]:
    statement = head(
        "MedicationStatement", row, ctx, profiles=[profile("medication-statement-side-effects")]
    )
    if row.sideEffects:
        statement["extension"] = [
            {"url": SIDE_EFFECT_URL, "valueString": s} for s in row.sideEffects
        ]
    period = present(
        start=fhir_datetime(row.startDate), end=row.endDate and fhir_datetime(row.endDate)
    )
    statement |= {
        "text": narrative(row.title),
        "status": "completed" if row.endDate else "active",
        "medicationCodeableConcept": {"text": row.medicationName},
        "subject": patient(row, ctx),
        "effectivePeriod": period,
        "dateAsserted": fhir_datetime(row.date),
        **present(informationSource=row.prescriber and {"display": row.prescriber}),
        **present(reasonCode=row.reason and [{"text": row.reason}]),
        **note(row.notes),
        "dosage": [{"text": row.dosage, "timing": {"code": {"text": row.frequency}}}],
    }
    return [statement]


def fields(statement: Json) -> Json:
    """The medication fields of the app's own MedicationStatement."""
    dosage = (statement.get("dosage") or [{}])[0]
    period = statement.get("effectivePeriod", {})
    return present(
        medicationName=concept_text(statement.get("medicationCodeableConcept")),
        dosage=dosage.get("text"),
        frequency=concept_text(dosage.get("timing", {}).get("code")),
        prescriber=statement.get("informationSource", {}).get("display"),
        reason=concept_text((statement.get("reasonCode") or [None])[0]),
        startDate=period.get("start"),
        endDate=period.get("end"),
        sideEffects=[
            e["valueString"]
            for e in statement.get("extension", ())
            if e.get("url") == SIDE_EFFECT_URL and isinstance(e.get("valueString"), str)
        ]
        or None,
        notes=first_note(statement),
        date=statement.get("dateAsserted"),
    )
