"""MedicalRecord -> Composition (profile soap-note) + Condition (encounter-diagnosis) +
DocumentReference (the recording and transcripts).

Seed 004 writes the note as four SOAP fields (`subjective`...`plan`): each is its section's own
text. Seed 003 writes named parts (history of present illness, physical exam...): each is a
sub-section of the SOAP section it belongs to, coded by LOINC, so either spelling comes back
under its own name. https://hl7.org/fhir/R4/composition.html, documentreference.html
"""

from __future__ import annotations

import base64
import re

from gateway.jsonio import Json
from mappers.apps.base import MappingContext, RowProblem
from mappers.apps.medrecord.common import (
    LOINC,
    PROFILE,
    ai_flag,
    meta,
    narrative,
    patient_of,
    practitioner_of,
)
from mappers.apps.medrecord.models import MedicalRecord
from mappers.apps.native import fhir_datetime

__all__ = ["ATTACHMENTS", "SECTIONS", "record_to_fhir"]

# SOAP section (seed 004 field, LOINC) -> seed 003 fields in it, each (field, LOINC, display)
SECTIONS: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("subjective", "61150-9", "Subjective Narrative", (
        ("chiefComplaint", "10154-3", "Chief complaint Narrative - Reported"),
        ("historyOfPresentIllness", "10164-2", "History of Present illness Narrative"),
    )),
    ("objective", "61149-1", "Objective Narrative", (
        ("physicalExamNotes", "29545-1", "Physical findings Narrative"),
    )),
    ("assessment", "51848-0", "Evaluation note", ()),
    ("plan", "18776-5", "Plan of care note", (
        ("treatmentPlan", "18776-5", "Plan of care note"),
        ("followUpInstructions", "69730-0", "Instructions"),
        ("patientEducation", "34895-3", "Education note"),
    )),
)  # fmt: skip
# DocumentReference content: field -> attachment title
ATTACHMENTS = (
    ("audioFileUrl", "Visit recording"),
    ("transcript", "Transcript"),
    ("aiTranscript", "AI transcript"),
    ("aiSummary", "AI summary"),
)
_DIAGNOSIS_CATEGORY = {
    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
    "code": "encounter-diagnosis",
}


def record_to_fhir(row: MedicalRecord, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("MedicalRecord", row.id)
    appointment = ctx.resource("Appointment", row.appointmentId)
    patient, author = patient_of(appointment), practitioner_of(appointment)
    start = appointment.get("start") if appointment else None
    if patient is None or author is None or not isinstance(start, str):
        raise RowProblem("appointmentId", f"appointment `{row.appointmentId}` is not known.")
    encounter = ctx.identity("Appointment", row.appointmentId).reference("Encounter", "encounter")
    date = row.updatedAt or row.createdAt or start
    common = {"subject": patient, "encounter": encounter}
    diagnosis = _diagnosis(row, ctx, common)
    composition: Json = {
        "resourceType": "Composition",
        "id": identity.resource_id(),
        "meta": meta(f"{PROFILE}/soap-note"),
        "identifier": identity.identifier(),
        "extension": ai_flag(row.isAIGenerated),
        "status": "final" if row.isDraft is False else "preliminary",
        "type": {"coding": [{"system": LOINC, "code": "11506-3", "display": "Progress note"}]},
        **common,
        "date": fhir_datetime(date),
        "author": [author],
        "title": "Visit note (SOAP)",
        "section": _sections(row, diagnosis),
    }
    resources = [{k: v for k, v in composition.items() if v != []}]
    if diagnosis is not None:
        resources.append(diagnosis)
    document = _document(row, ctx, common, date)
    if document is not None:
        resources.append(document)
    return resources


def _sections(row: MedicalRecord, diagnosis: Json | None) -> list[Json]:
    sections = []
    for field_name, code, display, parts in SECTIONS:
        section: Json = {"title": field_name.capitalize(), "code": _loinc(code, display)}
        own = getattr(row, field_name)
        if own is not None:
            section["text"] = narrative(own)
        inner = [
            {
                "title": _words(part),
                "code": _loinc(part_code, part_display),
                "text": narrative(value),
            }
            for part, part_code, part_display in parts
            if (value := getattr(row, part)) is not None
        ]
        if inner:
            section["section"] = inner
        if field_name == "assessment" and diagnosis is not None:
            section["entry"] = [{"reference": f"Condition/{diagnosis['id']}"}]
        if len(section) > 2:
            sections.append(section)
    if not sections:  # soap-note needs a section, and cmp-1 content in it
        sections.append({"title": "Subjective", "code": _loinc(*SECTIONS[0][1:3]),
                         "text": {"status": "empty", "div": _EMPTY}})  # fmt: skip
    return sections


_EMPTY = '<div xmlns="http://www.w3.org/1999/xhtml">Nothing recorded yet.</div>'


def _words(field_name: str) -> str:
    """A field's name as a section title: `chiefComplaint` -> `Chief complaint`."""
    return re.sub(r"([A-Z])", lambda m: " " + m.group(1).lower(), field_name).capitalize()


def _loinc(code: str, display: str) -> Json:
    return {"coding": [{"system": LOINC, "code": code, "display": display}]}


def _diagnosis(row: MedicalRecord, ctx: MappingContext, common: Json) -> Json | None:
    """The visit's diagnosis as the text the app holds (no code is invented)."""
    if row.diagnosis is None and row.diagnosisNotes is None:
        return None
    identity = ctx.identity("MedicalRecord", row.id)
    condition: Json = {
        "resourceType": "Condition",
        "id": identity.resource_id("diagnosis"),
        "identifier": [identity.identifier()],
        "extension": ai_flag(row.isAIGenerated),
        "category": [{"coding": [_DIAGNOSIS_CATEGORY]}],
        **common,
    }
    if row.diagnosis is not None:
        condition["code"] = {"text": row.diagnosis}
    if row.diagnosisNotes is not None:
        condition["note"] = [{"text": row.diagnosisNotes}]
    return {k: v for k, v in condition.items() if v != []}


def _document(row: MedicalRecord, ctx: MappingContext, common: Json, date: str) -> Json | None:
    content = []
    for field_name, title in ATTACHMENTS:
        value = getattr(row, field_name)
        if value is None:
            continue
        if field_name == "audioFileUrl":
            attachment: Json = {"url": value, "title": title}
        else:
            data = base64.b64encode(value.encode()).decode()
            attachment = {"contentType": "text/plain; charset=utf-8", "data": data, "title": title}
        content.append({"attachment": attachment})
    if not content:
        return None
    identity = ctx.identity("MedicalRecord", row.id)
    document: Json = {
        "resourceType": "DocumentReference",
        "id": identity.resource_id("document"),
        "identifier": [identity.identifier()],
        "status": "current",
        "docStatus": "final" if row.isDraft is False else "preliminary",
        "type": _loinc("11506-3", "Progress note"),
        "subject": common["subject"],
        "content": content,
        "context": {"encounter": [common["encounter"]]},
    }
    moment = fhir_datetime(date)
    if "T" in moment:  # DocumentReference.date is an instant
        document["date"] = moment
    return document
