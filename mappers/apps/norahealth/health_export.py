"""health_profiles back from FHIR: the profile's List read in order, plus an EHR's active
conditions (as medical redlines) and food allergies (as dietary exclusions) of the user.

An EHR's items join a health profile the user already has: its NOT NULL columns
(resolution_class, fitness_level) are the user's own choices and cannot be made up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from gateway.jsonio import Json
from mappers.apps.base import SID, Exported, FhirView, Identity
from mappers.apps.norahealth.common import APP, codesystem, epoch, json_text
from mappers.apps.norahealth.health_profiles import PROFILE_CS
from mappers.apps.norahealth.models import FitnessLevel, HealthProfile, ResolutionClass

__all__ = ["health_profiles"]

_OURS = f"{SID}/{APP}/"
_FOCUS: tuple[ResolutionClass, ...] = ("PERFORMANCE", "VITALITY", "LONGEVITY")
_LEVELS: tuple[FitnessLevel, ...] = ("BEGINNER", "INTERMEDIATE", "ADVANCED")
_INACTIVE = {"inactive", "resolved", "remission"}


def health_profiles(view: FhirView, user_id: str) -> list[Exported]:
    rows = [row for listing in _lists(view) if (row := _profile(view, user_id, listing))]
    if rows:
        rows[0] = _with_ehr_items(view, rows[0])
    return rows


def _lists(view: FhirView) -> Iterator[Json]:
    for listing in view.of_type("List"):
        if view.native_id(listing, "health_profiles") is not None:
            yield listing


def _profile(view: FhirView, user_id: str, listing: Json) -> Exported | None:
    native_id = str(view.native_id(listing, "health_profiles"))
    identity = Identity.of(APP, "health_profiles", native_id)
    focus = view.get(f"Goal/{identity.resource_id('resolutionClass')}")
    level = view.get(f"Observation/{identity.resource_id('fitnessLevel')}")
    resolution = _upper(focus and focus.get("description"), "wellness-focus", _FOCUS)
    fitness = _upper(level and level.get("valueCodeableConcept"), "difficulty-level", _LEVELS)
    if focus is None or level is None or resolution is None or fitness is None:
        return None
    lists: dict[str, list[Any]] = {"redline": [], "constraint": [], "exclusion": [], "goal": []}
    sources = [view.ref(listing), view.ref(focus), view.ref(level)]
    for entry in listing.get("entry", ()):
        item = view.get(entry.get("item"))
        kind = _kind(item)
        if item is None or kind is None:
            continue
        lists[kind].append(_value(item, kind))
        if view.ref(item) not in sources:
            sources.append(view.ref(item))
    row = HealthProfile(
        id=native_id,
        user_id=user_id,
        resolution_class=resolution,
        dietary_exclusions=json_text(lists["exclusion"]),
        physical_constraints=json_text(lists["constraint"]),
        medical_redlines=json_text(lists["redline"]) if lists["redline"] else None,
        fitness_goals=json_text(lists["goal"]) if lists["goal"] else None,
        fitness_level=fitness,
        created_at=epoch(listing.get("date")),
    )
    return Exported("health_profiles", row, tuple(sources))


def _upper(concept: Json | None, system: str, allowed: tuple[Any, ...]) -> Any:
    for coding in (concept or {}).get("coding", ()):
        code = str(coding.get("code", "")).upper()
        if coding.get("system") == codesystem(system) and code in allowed:
            return code
    return None


def _kind(item: Json | None) -> str | None:
    if item is None:
        return None
    kinds = {"AllergyIntolerance": "exclusion", "Goal": "goal"}
    if item["resourceType"] in kinds:
        return kinds[item["resourceType"]]
    for category in item.get("category", ()):
        for coding in category.get("coding", ()):
            if coding.get("system") == PROFILE_CS:
                return {"medical-redline": "redline", "physical-constraint": "constraint"}.get(
                    coding.get("code", "")
                )
    return None


def _value(item: Json, kind: str) -> Any:
    if kind == "goal":
        return item.get("description", {}).get("text", "")
    if kind != "constraint":
        return item.get("code", {}).get("text", "")
    kind_text = str((item.get("bodySite") or [{}])[0].get("text", ""))
    description = item.get("code", {}).get("text")
    entry: Json = {"type": kind_text}
    if description is not None and description != kind_text:
        entry["description"] = description
    if "severity" in item:
        entry["severity"] = item["severity"].get("text")
    if "note" in item:
        entry["modifications"] = [note.get("text", "") for note in item["note"]]
    return kind_text if len(entry) == 1 else entry


def _with_ehr_items(view: FhirView, exported: Exported) -> Exported:
    """The profile with the EHR's active conditions and food allergies appended."""
    row = exported.row
    assert isinstance(row, HealthProfile)
    redlines = [] if row.medical_redlines is None else _loads(row.medical_redlines)
    exclusions = _loads(row.dietary_exclusions)
    sources = list(exported.sources)
    for condition in view.of_type("Condition"):
        text = _foreign_text(condition)
        if text and _active(condition) and _disorder(condition):
            redlines.append(text)
            sources.append(view.ref(condition))
    for allergy in view.of_type("AllergyIntolerance"):
        text = _foreign_text(allergy)
        if text and _active(allergy) and "food" in allergy.get("category", ()):
            exclusions.append(text)
            sources.append(view.ref(allergy))
    if len(sources) == len(exported.sources):
        return exported
    changed = row.model_copy(
        update={
            "medical_redlines": json_text(redlines) if redlines else None,
            "dietary_exclusions": json_text(exclusions),
        }
    )
    return Exported("health_profiles", changed, tuple(sources))


def _loads(text: str) -> list[Any]:
    value = json.loads(text)
    return value if isinstance(value, list) else []


def _foreign_text(resource: Json) -> str | None:
    """The text of an EHR resource's code; None for a resource NoraHealth made."""
    if any(str(i.get("system", "")).startswith(_OURS) for i in resource.get("identifier", ())):
        return None
    code = resource.get("code", {})
    if "text" in code:
        return str(code["text"])
    return next((str(c["display"]) for c in code.get("coding", ()) if "display" in c), None)


def _active(resource: Json) -> bool:
    codes = {c.get("code") for c in resource.get("clinicalStatus", {}).get("coding", ())}
    return not codes & _INACTIVE


def _disorder(condition: Json) -> bool:
    """SNOMED's semantic tag tells a disorder from a finding or situation (an EHR's problem
    list also holds `Full-time employment (finding)`), which is no medical redline."""
    displays = [c.get("display", "") for c in condition.get("code", {}).get("coding", ())]
    tagged = [d for d in displays if d.endswith(")")]
    return not tagged or any(d.endswith("(disorder)") for d in tagged)
