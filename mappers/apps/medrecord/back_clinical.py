"""AllergyIntolerance -> Allergy; Condition -> ChronicCondition.

The app's own resources come back exactly; an EHR's allergy or condition (no app identifier)
becomes a row named by its FHIR id, with its code's text or display as the allergen or
condition, R4's reaction severity through the ConceptMap back, its clinical status as status.
A Condition made from a MedicalRecord (the visit's diagnosis) is the record's, not a
chronic condition. https://hl7.org/fhir/R4/allergyintolerance.html, condition.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.concepts import untranslate
from mappers.apps.medrecord.clinical import ALLERGY_SEVERITY, CLINICAL_STATUS
from mappers.apps.medrecord.common import DATA_ABSENT, cm, spelled
from mappers.apps.medrecord.models import Allergy, ChronicCondition
from mappers.apps.medrecord.reading import code_in, first, native_of, text_of, valid
from mappers.apps.view import Exported, FhirView, concept_text

__all__ = ["allergies_back", "conditions_back"]


def allergies_back(view: FhirView) -> list[Exported]:
    rows = []
    for allergy in view.of_type("AllergyIntolerance"):
        reaction = first(allergy.get("reaction"))
        manifestation = first(reaction.get("manifestation"))
        onset = allergy.get("onsetDateTime")
        values: Json = {
            "id": view.native_id(allergy, "Allergy") or allergy["id"],
            "patientId": native_of(view, allergy.get("patient"), "Patient"),
            "allergen": concept_text(allergy.get("code")),
            "reaction": None if _absent(manifestation) else concept_text(manifestation),
            "severity": _severity(reaction),
            "onsetDate": onset[:10] if isinstance(onset, str) else None,
            "createdAt": allergy.get("recordedDate"),
        }
        row = valid(Allergy, values)
        if row is not None:
            rows.append(Exported("Allergy", row, (view.ref(allergy),)))
    return rows


def _absent(concept: Json) -> bool:
    return any(e.get("url") == DATA_ABSENT for e in concept.get("extension", ()))


def _severity(reaction: Json) -> str | None:
    for extension in reaction.get("extension", ()):
        if extension.get("url") == ALLERGY_SEVERITY and isinstance(extension.get("valueCode"), str):
            return str(extension["valueCode"])
    severity = reaction.get("severity")
    return untranslate(cm("medrecord-allergy-severity"), severity) if severity else None


def conditions_back(view: FhirView) -> list[Exported]:
    rows = []
    for condition in view.of_type("Condition"):
        if view.native_id(condition, "MedicalRecord") is not None:
            continue  # a visit's diagnosis: MedicalRecord.diagnosis
        if code_in(condition.get("verificationStatus"), _VERIFICATION) in _NOT_TRUE:
            continue
        native = view.native_id(condition, "ChronicCondition")
        new_name = spelled(condition, "ChronicCondition", "condition")
        new_date = spelled(condition, "ChronicCondition", "diagnosedDate")
        onset = condition.get("onsetDateTime")
        name = concept_text(condition.get("code"))
        clinical = condition.get("clinicalStatus")
        values: Json = {
            "id": native or condition["id"],
            "patientId": native_of(view, condition.get("subject"), "Patient"),
            "condition" if new_name else "conditionName": name,
            "status": code_in(clinical, CLINICAL_STATUS) or concept_text(clinical),
            "notes": text_of(condition.get("note")),
            "createdAt": condition.get("recordedDate"),
        }
        if isinstance(onset, str):
            values["diagnosedDate" if new_date else "diagnosisDate"] = (
                onset if new_date else onset[:10]
            )
        row = valid(ChronicCondition, values)
        if row is not None:
            rows.append(Exported("ChronicCondition", row, (view.ref(condition),)))
    return rows


_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_NOT_TRUE = ("refuted", "entered-in-error")
