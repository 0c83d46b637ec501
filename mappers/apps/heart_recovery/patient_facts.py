"""The clinical facts of a `Patients` row, each its own resource with a fixed part name.

Free text stays free text (`code.text`): the app writes allergies and conditions as one string,
so each string is one resource and comes back as sent. Social history is R4's usual
Observations (LOINC 72166-2 smoking status with SNOMED CT answers, 11331-6 alcohol use);
heart-rate, blood-pressure and weight goals are `therapy-goal` Goals whose target measure is the
vital sign's LOINC code. https://hl7.org/fhir/R4/observation.html#social,
https://hl7.org/fhir/R4/goal.html
"""

from __future__ import annotations

import base64

from gateway.jsonio import Json
from mappers.apps.heart_recovery.fhir import LOINC, SNOMED, UCUM, compact, mapped_coding, profiled
from mappers.apps.heart_recovery.models import Patient
from mappers.apps.native import Identity, fhir_datetime

__all__ = ["ALCOHOL", "GOALS", "SMOKING", "facts"]

ACTIVE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]}  # fmt: skip
CONDITION_ACTIVE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}  # fmt: skip
PROBLEM_LIST = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item", "display": "Problem List Item"}]}  # fmt: skip
SOCIAL = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "social-history", "display": "Social History"}]}]  # fmt: skip
SMOKING = "http://fhir-gateway.org/fhir/ConceptMap/heart-recovery-smoking-status"
ALCOHOL = "http://fhir-gateway.org/fhir/ConceptMap/heart-recovery-alcohol-use"
# part -> (LOINC measure, display, Goal description, unit, UCUM code)
GOALS = {
    "targetHeartRate": ("8867-4", "Heart rate", "Target heart rate during exercise", "/min", "/min"),
    "maxHeartRate": ("8867-4", "Heart rate", "Maximum allowed heart rate", "/min", "/min"),
    "restingHeartRate": ("40443-4", "Heart rate --resting", "Resting heart rate baseline", "/min", "/min"),
    "bloodPressureGoal": ("85354-9", "Blood pressure panel with all children optional", "Blood pressure goal", "", ""),
    "weightGoal": ("29463-7", "Body weight", "Weight goal", "lb", "[lb_av]"),
}  # fmt: skip
# part -> (LOINC code, display) of the social-history Observations holding free text
SOCIAL_TEXT = {
    "occupation": ("11341-5", "History of Occupation"),
    "education": ("82589-3", "Highest level of education"),
}


def facts(row: Patient, identity: Identity, subject: Json) -> list[Json]:
    def base(resource_type: str, part: str) -> Json:
        return {"resourceType": resource_type, "id": identity.resource_id(part),
                "identifier": [identity.identifier()]}  # fmt: skip

    made: list[Json] = []
    for part, text, category in (
        ("medicationAllergies", row.medicationAllergies, "medication"),
        ("otherAllergies", row.otherAllergies, None),
    ):
        if text:
            made.append({**base("AllergyIntolerance", part), "meta": profiled("allergy"),
                         "clinicalStatus": ACTIVE, **({"category": [category]} if category else {}),
                         "code": {"text": text}, "patient": subject})  # fmt: skip
    if row.chronicConditions:
        made.append({**base("Condition", "chronicConditions"), "meta": profiled("chronic-condition"),
                     "clinicalStatus": CONDITION_ACTIVE, "category": [PROBLEM_LIST],
                     "code": {"text": row.chronicConditions}, "subject": subject})  # fmt: skip
    if row.surgeryDate or row.surgeryType:
        made.append(compact({**base("Procedure", "surgery"), "status": "completed",
            "category": {"coding": [{"system": SNOMED, "code": "387713003", "display": "Surgical procedure"}]},
            "code": {"text": row.surgeryType}, "subject": subject,
            "performedDateTime": fhir_datetime(row.surgeryDate) if row.surgeryDate else None}))  # fmt: skip
    if row.insuranceProvider or row.insurancePolicyNumber or row.insuranceGroupNumber:
        made.append(_coverage(row, base("Coverage", "insurance"), subject))
    if row.dischargeSummary:
        data = base64.b64encode(row.dischargeSummary.encode()).decode()
        made.append({**base("DocumentReference", "dischargeSummary"), "status": "current",
            "type": {"coding": [{"system": LOINC, "code": "18842-5", "display": "Discharge summary"}]},
            "subject": subject,
            "content": [{"attachment": {"contentType": "text/plain; charset=utf-8", "data": data}}]})  # fmt: skip
    for part, answers, code in (("smokingStatus", SMOKING, ("72166-2", "Tobacco smoking status")),
                                ("alcoholUse", ALCOHOL, ("11331-6", "History of Alcohol use"))):  # fmt: skip
        value = getattr(row, part)
        if value:
            answer = {"valueCodeableConcept": {"coding": [mapped_coding(answers, value)]}}
            made.append(_social(base("Observation", part), code, subject, answer))
    for part, code in SOCIAL_TEXT.items():
        if getattr(row, part):
            made.append(_social(base("Observation", part), code, subject,
                                {"valueString": getattr(row, part)}))  # fmt: skip
    if row.livingSituation:
        made.append({**base("Observation", "livingSituation"), "status": "final", "category": SOCIAL,
                     "code": {"text": "Living situation"}, "subject": subject,
                     "valueString": row.livingSituation})  # fmt: skip
    made.extend(
        _goal(row, part, base("Goal", part), subject)
        for part in GOALS
        if getattr(row, part) is not None
    )
    return made


def _social(resource: Json, code: tuple[str, str], subject: Json, value: Json) -> Json:
    return {**resource, "status": "final", "category": SOCIAL,
            "code": {"coding": [{"system": LOINC, "code": code[0], "display": code[1]}]},
            "subject": subject, **value}  # fmt: skip


def _coverage(row: Patient, resource: Json, subject: Json) -> Json:
    """Coverage.payor is 1..*: an insurer the app did not name is a data-absent Reference."""
    absent = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}  # fmt: skip
    group = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "group"}]}  # fmt: skip
    return compact({**resource, "status": "active", "subscriberId": row.insurancePolicyNumber,
        "beneficiary": subject,
        "payor": [{"display": row.insuranceProvider} if row.insuranceProvider else absent],
        "class": [{"type": group, "value": row.insuranceGroupNumber}] if row.insuranceGroupNumber else None})  # fmt: skip


def _goal(row: Patient, part: str, resource: Json, subject: Json) -> Json:
    loinc, display, description, unit, code = GOALS[part]
    value = getattr(row, part)
    if part == "bloodPressureGoal":
        detail: Json = {"detailString": value}
    else:
        quantity = {"value": value, "unit": unit, "system": UCUM, "code": code}
        detail = (
            {"detailRange": {"high": quantity}}
            if part == "maxHeartRate"
            else {"detailQuantity": quantity}
        )
    return {**resource, "meta": profiled("therapy-goal"), "lifecycleStatus": "active",
            "description": {"text": description}, "subject": subject,
            "target": [{"measure": {"coding": [{"system": LOINC, "code": loinc, "display": display}]}, **detail}]}  # fmt: skip
