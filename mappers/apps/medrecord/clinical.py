"""Allergy -> AllergyIntolerance (profile allergy); ChronicCondition -> Condition (profile
chronic-condition). https://hl7.org/fhir/R4/allergyintolerance.html, condition.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.concepts import translate
from mappers.apps.medrecord.common import DATA_ABSENT, PROFILE, cm, meta
from mappers.apps.medrecord.models import Allergy, ChronicCondition
from mappers.apps.native import fhir_date, fhir_datetime

__all__ = [
    "ALLERGY_SEVERITY",
    "CLINICAL_STATUS",
    "allergy_to_fhir",
    "condition_to_fhir",
]

ALLERGY_SEVERITY = f"{PROFILE}/medrecord-allergy-severity"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CLINICAL_CODES = ("active", "recurrence", "relapse", "inactive", "remission", "resolved")
_ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PROBLEM_LIST = {"system": _CATEGORY, "code": "problem-list-item", "display": "Problem List Item"}


def allergy_to_fhir(row: Allergy, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Allergy", row.id)
    allergy: Json = {
        "resourceType": "AllergyIntolerance",
        "id": identity.resource_id(),
        "meta": meta(f"{PROFILE}/allergy"),
        "identifier": [identity.identifier()],
        "clinicalStatus": {"coding": [{"system": _ALLERGY_CLINICAL, "code": "active"}]},
        "code": {"text": row.allergen},
        "patient": ctx.identity("Patient", row.patientId).reference("Patient"),
    }
    if row.severity is not None:
        allergy["criticality"] = translate(cm("medrecord-allergy-criticality"), row.severity)
    if row.onsetDate is not None:
        allergy["onsetDateTime"] = fhir_date(row.onsetDate)
    if row.createdAt is not None:
        allergy["recordedDate"] = fhir_datetime(row.createdAt)
    if row.reaction is not None or row.severity is not None:
        allergy["reaction"] = [_reaction(row)]
    return [allergy]


def _reaction(row: Allergy) -> Json:
    """R4's reaction severity has three codes; the app's own (life_threatening is `severe`
    there) rides along in the `medrecord-allergy-severity` extension so it comes back."""
    manifestation = (
        {"text": row.reaction}
        if row.reaction is not None
        else {"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}
    )
    reaction: Json = {"manifestation": [manifestation]}
    if row.severity is not None:
        reaction["extension"] = [{"url": ALLERGY_SEVERITY, "valueCode": row.severity}]
        reaction["severity"] = translate(cm("medrecord-allergy-severity"), row.severity)
    return reaction


def condition_to_fhir(row: ChronicCondition, ctx: MappingContext) -> list[Json]:
    """The diagnosis date is the onset: the date the app knows the condition from (R4 has no
    "diagnosed" element; recordedDate is the row's own createdAt)."""
    identity = ctx.identity("ChronicCondition", row.id)
    status = row.status if row.status is not None else "active"  # the seed's default
    clinical: Json = (
        {"coding": [{"system": CLINICAL_STATUS, "code": status}]}
        if status in _CLINICAL_CODES
        else {"text": status}
    )
    condition: Json = {
        "resourceType": "Condition",
        "id": identity.resource_id(),
        "meta": meta(f"{PROFILE}/chronic-condition", row, "condition", "diagnosedDate"),
        "identifier": [identity.identifier()],
        "clinicalStatus": clinical,
        "category": [{"coding": [PROBLEM_LIST]}],
        "code": {"text": row.conditionName or row.condition},
        "subject": ctx.identity("Patient", row.patientId).reference("Patient"),
    }
    onset = row.diagnosisDate or row.diagnosedDate
    if onset is not None:
        condition["onsetDateTime"] = fhir_datetime(onset)
    if row.createdAt is not None:
        condition["recordedDate"] = fhir_datetime(row.createdAt)
    if row.notes is not None:
        condition["note"] = [{"text": row.notes}]
    return [condition]
