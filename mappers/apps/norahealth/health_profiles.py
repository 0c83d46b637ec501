"""`health_profiles` -> a List of the profile's entries, in order, and one resource per entry.

A medical redline is a Condition (chronic-condition), a physical constraint a Condition with its
body site, severity and modifications (notes), a dietary exclusion an AllergyIntolerance
(allergy, category food), a fitness goal a Goal (therapy-goal). `resolution_class` is the Goal
the whole profile serves (description from `wellness-focus`); `fitness_level` an Observation
(value from `difficulty-level`). Each entry's resource id is made from the entry itself (its
JSON), so re-sending the same list lands on the same resources; the List (R4 List, mode
working, https://hl7.org/fhir/R4/list.html) keeps their order and repeats, and is what the way
back reads, so an entry removed from the profile no longer comes back.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.jsonio import Json
from mappers.apps.base import Entity, Identity, MappingContext, RowProblem, home, no_home
from mappers.apps.norahealth.common import (
    SNOMED,
    Text,
    checked_instant,
    codesystem,
    enum_coded,
    parse_json,
    patient,
    resource_base,
    string_list,
)
from mappers.apps.norahealth.models import HealthProfile

__all__ = ["BODY_SITES", "ENTITY", "PROFILE_CS", "SEVERITIES", "Constraint", "constraints"]

PROFILE_CS = codesystem("norahealth-health-profile")
EXCLUSION_CS = codesystem("norahealth-dietary-exclusion")
EXCLUSIONS = ("DAIRY", "GLUTEN", "PEANUTS", "EGGS")
BODY_SITES = {
    "KNEE": ("72696002", "Knee region structure"),
    "BACK": ("77568009", "Back structure, excluding neck"),
}
SEVERITIES = {
    "MILD": ("255604002", "Mild"),
    "MODERATE": ("6736007", "Moderate"),
    "SEVERE": ("24484000", "Severe"),
}
_PROBLEM_LIST = {
    "system": "http://terminology.hl7.org/CodeSystem/condition-category",
    "code": "problem-list-item",
    "display": "Problem List Item",
}
_ACTIVE_CONDITION = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_ACTIVE_ALLERGY = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"


class Constraint(BaseModel):
    """One `physical_constraints` entry as the seed's JSON structure shows it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    type: Text
    description: Text | None = None
    severity: Text | None = None
    modifications: list[Text] | None = None


def constraints(text: str) -> list[str | Constraint]:
    """The entries of `physical_constraints`: objects, or type names (`["KNEE", "BACK"]`)."""
    value = parse_json("physical_constraints", text)
    if not isinstance(value, list):
        raise RowProblem("physical_constraints", "`physical_constraints` must be a JSON array.")
    entries: list[str | Constraint] = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item.strip():
            entries.append(item)
            continue
        try:
            entries.append(Constraint.model_validate(item))
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(step) for step in first["loc"])
            raise RowProblem(
                "physical_constraints",
                f"entry {index}: {where + ': ' if where else ''}{first['msg']}.",
            ) from None
    return entries


def to_fhir(row: HealthProfile, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("health_profiles", row.id)
    subject = patient(ctx, row.user_id)
    recorded = None if row.created_at is None else checked_instant("created_at", row.created_at)
    entries: list[Json] = []
    for text in string_list("medical_redlines", row.medical_redlines):
        entries.append(_redline(identity, subject, recorded, text))
    for entry in constraints(row.physical_constraints):
        entries.append(_constraint(identity, subject, recorded, entry))
    for text in string_list("dietary_exclusions", row.dietary_exclusions):
        entries.append(_exclusion(identity, subject, recorded, text))
    for text in string_list("fitness_goals", row.fitness_goals):
        goal = resource_base("Goal", identity, _part("goal", text), "therapy-goal")
        entries.append(
            {**goal, "lifecycleStatus": "active", "description": {"text": text}, "subject": subject}
        )
    focus = resource_base("Goal", identity, "resolutionClass", "therapy-goal")
    focus.update(
        lifecycleStatus="active",
        subject=subject,
        description=enum_coded("wellness-focus", row.resolution_class),
    )
    level = resource_base("Observation", identity, "fitnessLevel")
    level.update(
        status="final", code=_profile_code("fitness-level", "Fitness level"), subject=subject
    )
    if recorded:
        level["effectiveDateTime"] = recorded
    level["valueCodeableConcept"] = enum_coded("difficulty-level", row.fitness_level)
    listing = resource_base("List", identity, "")
    listing.update(
        status="current",
        mode="working",
        title="NoraHealth health profile",
        code=_profile_code("health-profile", "Health profile"),
        subject=subject,
    )
    if recorded:
        listing["date"] = recorded
    items = [{"item": {"reference": f"{e['resourceType']}/{e['id']}"}} for e in entries]
    if items:
        listing["entry"] = items
    unique = list({e["id"]: e for e in entries}.values())  # a repeated entry is one resource
    return [listing, focus, level, *unique]


def _part(kind: str, entry: Any) -> str:
    return f"{kind}:{json.dumps(entry, sort_keys=True, ensure_ascii=False)}"


def _profile_code(code: str, display: str) -> Json:
    return {"coding": [{"system": PROFILE_CS, "code": code, "display": display}]}


def _condition(
    identity: Identity,
    part: str,
    kind: tuple[str, str],
    text: str,
    subject: Json,
    recorded: str | None,
) -> Json:
    """A Condition of the profile: active, on the problem list, `kind` telling which list."""
    condition = resource_base("Condition", identity, part, "chronic-condition")
    condition["clinicalStatus"] = {"coding": [{"system": _ACTIVE_CONDITION, "code": "active"}]}
    condition["category"] = [{"coding": [_PROBLEM_LIST]}, _profile_code(*kind)]
    condition.update(code={"text": text}, subject=subject)
    if recorded:
        condition["recordedDate"] = recorded
    return condition


def _redline(identity: Identity, subject: Json, recorded: str | None, text: str) -> Json:
    kind = ("medical-redline", "Medical redline")
    return _condition(identity, _part("redline", text), kind, text, subject, recorded)


def _constraint(
    identity: Identity, subject: Json, recorded: str | None, entry: str | Constraint
) -> Json:
    data = entry if isinstance(entry, str) else entry.model_dump(exclude_none=True)
    item = Constraint(type=entry) if isinstance(entry, str) else entry
    kind = ("physical-constraint", "Physical constraint")
    text = item.description or item.type
    condition = _condition(identity, _part("constraint", data), kind, text, subject, recorded)
    if item.severity is not None:
        condition["severity"] = _coded(item.severity, SEVERITIES)
    condition["bodySite"] = [_coded(item.type, BODY_SITES)]
    if item.modifications:
        condition["note"] = [{"text": text} for text in item.modifications]
    return condition


def _coded(text: str, codes: dict[str, tuple[str, str]]) -> Json:
    known = codes.get(text)
    if known is None:
        return {"text": text}
    return {"coding": [{"system": SNOMED, "code": known[0], "display": known[1]}], "text": text}


def _exclusion(identity: Identity, subject: Json, recorded: str | None, text: str) -> Json:
    allergy = resource_base("AllergyIntolerance", identity, _part("exclusion", text), "allergy")
    allergy["clinicalStatus"] = {"coding": [{"system": _ACTIVE_ALLERGY, "code": "active"}]}
    allergy["category"] = ["food"]
    code: Json = {"text": text}
    if text in EXCLUSIONS:
        code = {
            "coding": [{"system": EXCLUSION_CS, "code": text, "display": text.title()}],
            "text": text,
        }
    allergy.update(code=code, patient=subject)
    if recorded:
        allergy["recordedDate"] = recorded
    return allergy


ENTITY = Entity(
    name="health_profiles",
    model=HealthProfile,
    fields={
        "id": home("List.identifier, and the identifier of every resource of the profile"),
        "user_id": home(
            "List.subject, Condition.subject, AllergyIntolerance.patient, Goal.subject"
        ),
        "resolution_class": home(
            "Goal (therapy-goal) description, CodeSystem wellness-focus (performance, vitality, longevity)"
        ),
        "dietary_exclusions": home(
            "AllergyIntolerance (allergy profile) per entry, category food, code text + CodeSystem norahealth-dietary-exclusion"
        ),
        "physical_constraints": home(
            "Condition (chronic-condition) per entry: code text = description, bodySite (SNOMED for KNEE, BACK; text = type), severity (SNOMED mild/moderate/severe; text), note per modification"
        ),
        "medical_redlines": home("Condition (chronic-condition) per entry, code text"),
        "fitness_goals": home("Goal (therapy-goal) per entry, description text"),
        "fitness_level": home(
            "Observation valueCodeableConcept, code norahealth-health-profile#fitness-level, CodeSystem difficulty-level"
        ),
        "created_at": home("List.date; Condition/AllergyIntolerance.recordedDate"),
        "updated_at": no_home("the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"),
    },
    to_fhir=to_fhir,
    primary=("List",),
    foreign_keys={"user_id": "users"},
)
