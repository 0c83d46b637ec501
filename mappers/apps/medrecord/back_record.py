"""Composition (+ diagnosis Condition, DocumentReference) -> MedicalRecord; Observation ->
Symptom; MedicationRequest -> Prescription: the app's own resources only.

An EHR's notes, symptoms and prescriptions have no MedRecord AI home: a Symptom or Prescription
row belongs to a MedicalRecord, which belongs to an appointment's SOAP note, and an EHR's
visit carries no such note. https://hl7.org/fhir/R4/composition.html
"""

from __future__ import annotations

import base64
import binascii

from gateway.jsonio import Json
from mappers.apps.medrecord.common import ai_value, narrative_text, spelled
from mappers.apps.medrecord.models import MedicalRecord, Prescription, Symptom
from mappers.apps.medrecord.orders import DURATION
from mappers.apps.medrecord.reading import code_in, first, own, text_of, valid
from mappers.apps.medrecord.record import ATTACHMENTS, SECTIONS
from mappers.apps.view import Exported, FhirView, concept_text

__all__ = ["prescriptions_back", "records_back", "symptoms_back"]

_LOINC = "http://loinc.org"


def records_back(view: FhirView, appointments: dict[str, str]) -> list[Exported]:
    """`appointments`: Encounter reference -> the Appointment row's id."""
    rows = []
    diagnoses = own(view, "Condition", "MedicalRecord")
    documents = own(view, "DocumentReference", "MedicalRecord")
    for native, (composition, *_) in own(view, "Composition", "MedicalRecord").items():
        encounter = (composition.get("encounter") or {}).get("reference")
        values: Json = {
            "id": native,
            "appointmentId": appointments.get(encounter) if isinstance(encounter, str) else None,
            "isAIGenerated": ai_value(composition),
            "isDraft": composition.get("status") == "preliminary",
            "updatedAt": composition.get("date"),
            **_sections(composition),
        }
        sources = [view.ref(composition)]
        for diagnosis in diagnoses.get(native, ())[:1]:
            values["diagnosis"] = concept_text(diagnosis.get("code"))
            values["diagnosisNotes"] = text_of(diagnosis.get("note"))
            sources.append(view.ref(diagnosis))
        for document in documents.get(native, ())[:1]:
            values.update(_attachments(document))
            sources.append(view.ref(document))
        row = valid(MedicalRecord, values)
        if row is not None:
            rows.append(Exported("MedicalRecord", row, tuple(sources)))
    return rows


def _sections(composition: Json) -> Json:
    found: Json = {}
    by_code = {code_in(s.get("code"), _LOINC): s for s in composition.get("section", ())}
    for field_name, code, _display, parts in SECTIONS:
        section = by_code.get(code)
        if section is None:
            continue
        found[field_name] = narrative_text(section.get("text"))
        inner = {code_in(s.get("code"), _LOINC): s for s in section.get("section", ())}
        for part, part_code, _part_display in parts:
            if part_code in inner:
                found[part] = narrative_text(inner[part_code].get("text"))
    return found


def _attachments(document: Json) -> Json:
    by_title = {
        c.get("attachment", {}).get("title"): c.get("attachment", {})
        for c in document.get("content", ())
    }
    found: Json = {}
    for field_name, title in ATTACHMENTS:
        attachment = by_title.get(title)
        if attachment is None:
            continue
        if field_name == "audioFileUrl":
            found[field_name] = attachment.get("url")
            continue
        try:
            found[field_name] = base64.b64decode(attachment.get("data", "")).decode()
        except (binascii.Error, UnicodeDecodeError):
            continue
    return found


def _record_of(view: FhirView) -> dict[str, str]:
    """Encounter reference -> the MedicalRecord native id whose note is that visit's."""
    return {
        composition["encounter"]["reference"]: native
        for native, (composition, *_) in own(view, "Composition", "MedicalRecord").items()
        if isinstance(composition.get("encounter"), dict)
    }


def _ai(resource: Json, entity: str) -> Json:
    name = "aiGenerated" if spelled(resource, entity, "aiGenerated") else "isAIExtracted"
    return {name: ai_value(resource)}


def symptoms_back(view: FhirView) -> list[Exported]:
    records = _record_of(view)
    rows = []
    for native, (observation, *_) in own(view, "Observation", "Symptom").items():
        encounter = (observation.get("encounter") or {}).get("reference")
        duration = next(
            (
                c.get("valueString")
                for c in observation.get("component", ())
                if c.get("code") == DURATION
            ),
            None,
        )
        named = "name" if spelled(observation, "Symptom", "name") else "symptomName"
        values: Json = {
            "id": native,
            "medicalRecordId": records.get(encounter) if isinstance(encounter, str) else None,
            named: concept_text(observation.get("code")),
            "bodySite": concept_text(observation.get("bodySite")),
            "severity": observation.get("valueInteger"),
            "duration": duration,
            "notes": text_of(observation.get("note")),
            "createdAt": observation.get("issued"),
            **_ai(observation, "Symptom"),
        }
        row = valid(Symptom, values)
        if row is not None:
            rows.append(Exported("Symptom", row, (view.ref(observation),)))
    return rows


def prescriptions_back(view: FhirView) -> list[Exported]:
    records = _record_of(view)
    rows = []
    for native, (request, *_) in own(view, "MedicationRequest", "Prescription").items():
        encounter = (request.get("encounter") or {}).get("reference")
        named = "medication" if spelled(request, "Prescription", "medication") else "medicationName"
        dispense = request.get("dispenseRequest", {})
        values: Json = {
            "id": native,
            "medicalRecordId": records.get(encounter) if isinstance(encounter, str) else None,
            **_medication(request, named),
            **_dosage(next(iter(request.get("dosageInstruction", ())), {})),
            "quantity": dispense.get("quantity", {}).get("value"),
            "refills": dispense.get("numberOfRepeatsAllowed"),
            "indication": text_of(request.get("reasonCode")),
            "createdAt": request.get("authoredOn"),
            **_ai(request, "Prescription"),
        }
        row = valid(Prescription, values)
        if row is not None:
            rows.append(Exported("Prescription", row, (view.ref(request),)))
    return rows


def _medication(request: Json, named: str) -> Json:
    if "medicationCodeableConcept" in request:
        return {named: concept_text(request["medicationCodeableConcept"])}
    medication = first(
        c for c in request.get("contained", ()) if c.get("resourceType") == "Medication"
    )
    product = concept_text(medication.get("code")) or ""
    ingredient = first(medication.get("ingredient"))
    name = concept_text(ingredient.get("itemCodeableConcept")) or product
    strength = product[len(name) + 1 :] if product.startswith(f"{name} ") else None
    return {named: name, "strength": strength}


def _dosage(dosage: Json) -> Json:
    timing = dosage.get("timing", {})
    bounds = timing.get("repeat", {}).get("boundsDuration")
    duration = text_of(dosage.get("additionalInstruction"))
    if isinstance(bounds, dict) and "value" in bounds:
        value = bounds["value"]
        duration = f"{getattr(value, 'text', value)} {bounds.get('unit')}"
    return {
        "dosage": dosage.get("text"),
        "frequency": concept_text(timing.get("code")),
        "duration": duration,
        "instructions": dosage.get("patientInstruction"),
    }
