"""doctor_visit <-> Encounter + a Condition per diagnosis + a CarePlan for what follows.
https://hl7.org/fhir/R4/encounter.html

The doctor is a participant (display: the app has a name, not a Practitioner), the specialty the
`serviceType`, the facility the `serviceProvider` (display). Each diagnosis is a Condition of
category `encounter-diagnosis` (identity part `diagnosis-<index>`, the text as `code.text`),
listed in `Encounter.diagnosis` in the app's order, so the list comes back as sent. R4's
Encounter has no note and no follow-up: the follow-up instruction and the visit notes go to a
CarePlan (part `visit-plan`) made during the encounter, `description` and `note`.
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.medical_twin.common import first_note, head, narrative, note, patient, present
from mappers.apps.medical_twin.models import DoctorVisit
from mappers.apps.native import fhir_datetime
from mappers.apps.view import FhirView, concept_text

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ENCOUNTER_DIAGNOSIS = {"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis", "display": "Encounter Diagnosis"}]}  # fmt: skip
PLAN = "visit-plan"


def to_fhir(row: DoctorVisit, ctx: MappingContext) -> list[Json]:
    encounter = head("Encounter", row, ctx, profiles=[])
    conditions = [_diagnosis(row, ctx, i, text) for i, text in enumerate(row.diagnosis or ())]
    encounter |= {
        "text": narrative(row.title),
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": row.title}],
        **present(serviceType={"text": row.specialty} if row.specialty else None),
        "subject": patient(row, ctx),
        "participant": [{"individual": {"display": row.doctorName}}],
        "period": {"start": fhir_datetime(row.date)},
    }
    if conditions:
        encounter["diagnosis"] = [
            {"condition": {"reference": f"Condition/{c['id']}"}, "rank": i + 1}
            for i, c in enumerate(conditions)
        ]
    if row.facility:
        encounter["serviceProvider"] = {"display": row.facility}
    plans = [_plan(row, ctx, encounter)] if row.followUp or row.notes else []
    return [encounter, *conditions, *plans]


def _diagnosis(row: DoctorVisit, ctx: MappingContext, index: int, text: str) -> Json:
    condition = head("Condition", row, ctx, part=f"diagnosis-{index}", profiles=[])
    return condition | {
        "category": [ENCOUNTER_DIAGNOSIS],
        "code": {"text": text},
        "subject": patient(row, ctx),
        "encounter": {"reference": f"Encounter/{ctx.identity('Event', row.id).resource_id()}"},
        "recordedDate": fhir_datetime(row.date),
    }


def _plan(row: DoctorVisit, ctx: MappingContext, encounter: Json) -> Json:
    plan = head("CarePlan", row, ctx, part=PLAN, profiles=[])
    return plan | {
        "status": "active",
        "intent": "plan",
        **present(description=row.followUp),
        "subject": patient(row, ctx),
        "encounter": {"reference": f"Encounter/{encounter['id']}"},
        **note(row.notes),
    }


def fields(encounter: Json, view: FhirView) -> Json:
    """The doctor_visit fields of an Encounter (the app's own or an EHR's)."""
    doctors = [
        p["individual"]["display"]
        for p in encounter.get("participant", ())
        if isinstance(p.get("individual", {}).get("display"), str)
    ]
    ranked = sorted(encounter.get("diagnosis", ()), key=lambda d: d.get("rank", 0))
    diagnoses = [concept_text((view.get(d.get("condition")) or {}).get("code")) for d in ranked]
    plan = _plan_of(encounter, view)
    return present(
        doctorName=doctors[0] if doctors else None,
        specialty=concept_text(encounter.get("serviceType")),
        facility=encounter.get("serviceProvider", {}).get("display"),
        diagnosis=[d for d in diagnoses if d] or None,
        followUp=plan.get("description"),
        notes=first_note(plan),
    )


def _plan_of(encounter: Json, view: FhirView) -> Json:
    native_id = view.native_id(encounter, "Event")
    if native_id is None:
        return {}
    for plan in view.of_type("CarePlan"):
        if view.native_id(plan, "Event") == native_id and plan.get("encounter", {}).get(
            "reference"
        ) == view.ref(encounter):
            return plan
    return {}
