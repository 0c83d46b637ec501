"""Event -> FHIR by its `type`, and the app's own resources back to Event rows.

Every resource an event makes carries the event's identifier; the primary one (part "") is
the DiagnosticReport, Encounter, MedicationStatement, CarePlan or Observation that the event
is, and it holds the base fields: the date, title, notes and tags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.medical_twin import interventions, labs, medications, metrics, visits
from mappers.apps.medical_twin.common import from_narrative, present, tags
from mappers.apps.medical_twin.models import SUBTYPES, BaseEvent, Event
from mappers.apps.native import Identity
from mappers.apps.view import Exported, FhirView

_MAKERS: dict[str, Callable[[Any, MappingContext], list[Json]]] = {
    "lab_result": labs.to_fhir,
    "doctor_visit": visits.to_fhir,
    "medication": medications.to_fhir,
    "intervention": interventions.to_fhir,
    "metric": metrics.to_fhir,
}
PRIMARY = ("DiagnosticReport", "Encounter", "MedicationStatement", "CarePlan", "Observation")


def to_fhir(row: Event, ctx: MappingContext) -> list[Json]:
    return _MAKERS[row.type](as_subtype(row), ctx)


def as_subtype(row: Event) -> BaseEvent:
    """The row as its subtype's model, which the mapping of that type is typed against."""
    subtype = SUBTYPES[row.type]
    values = {name: getattr(row, name) for name in subtype.model_fields}
    return subtype.model_validate({k: v for k, v in values.items() if v is not None})


def own_events(view: FhirView, user_id: str) -> list[Exported]:
    """The events the app sent: each primary resource with an Event identifier, and the
    resources made with it (same identifier), as one row."""
    made: dict[str, list[Json]] = {}
    for resource in view.resources:
        native_id = view.native_id(resource, "Event")
        if native_id is not None:
            made.setdefault(native_id, []).append(resource)
    found = []
    for native_id, resources in made.items():
        primary = next((r for r in resources if _is_primary(view, r, native_id)), None)
        row = _event(view, primary, native_id, user_id) if primary else None
        if row is not None and primary is not None:
            device = view.get(primary.get("device"))
            used = [*resources, *([device] if device else [])]
            found.append(Exported("Event", row, tuple(view.ref(r) for r in used)))
    return found


def _is_primary(view: FhirView, resource: Json, native_id: str) -> bool:
    own = Identity.of(view.app, "Event", native_id)
    return resource["resourceType"] in PRIMARY and resource["id"] == own.resource_id()


def _event(view: FhirView, primary: Json, native_id: str, user_id: str) -> Event | None:
    kind = primary["resourceType"]
    base = present(id=native_id, userId=user_id, title=from_narrative(primary), tags=tags(primary))
    if kind == "DiagnosticReport":
        results = [view.get(r) for r in primary.get("result", ())]
        fields = labs.fields(primary, [r for r in results if r is not None])
        title = primary.get("code", {}).get("text")
        base |= {"type": "lab_result", "title": title, "date": primary.get("effectiveDateTime")}
        base |= present(createdAt=primary.get("issued"))
    elif kind == "Encounter":
        fields = visits.fields(primary, view)
        base |= {"type": "doctor_visit", "date": primary.get("period", {}).get("start")}
    elif kind == "MedicationStatement":
        fields = {"type": "medication", **medications.fields(primary)}
    elif kind == "CarePlan":
        fields = {"type": "intervention", **interventions.fields(primary)}
    else:
        fields = metrics.fields(primary, view) or {}
        base |= {"type": "metric", "date": primary.get("effectiveDateTime")}
    try:
        return Event.model_validate({**base, **fields})
    except ValidationError:  # changed since the app sent it so that it no longer makes a row
        return None
