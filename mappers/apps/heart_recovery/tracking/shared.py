"""What the tracking tables' mappings share: the resource skeleton, UCUM quantities, the
patient a row belongs to (both ways), and reading values back out of FHIR.

https://hl7.org/fhir/R4/datatypes.html#Quantity, https://hl7.org/fhir/R4/references.html
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from gateway.jsonio import Json
from mappers.apps.base import RowProblem
from mappers.apps.heart_recovery.common import patient_ref as patient_ref  # for the mappings
from mappers.apps.native import GATEWAY, SID, Identity, NativeRow, fhir_datetime, stable_int
from mappers.apps.view import FhirView

Row = TypeVar("Row", bound=NativeRow)

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
APP_SCORE = f"{GATEWAY}/CodeSystem/app-score"
WEARABLE_METRIC = f"{GATEWAY}/CodeSystem/wearable-metric"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def profile(name: str) -> str:
    """The gateway's profile `name` (docs/profiles.md)."""
    return f"{GATEWAY}/StructureDefinition/{name}"


def vital_profile(name: str) -> str:
    """R4's own vital signs profile `name` (observation-vitalsigns.html)."""
    return f"http://hl7.org/fhir/StructureDefinition/{name}"


def skeleton(resource_type: str, identity: Identity, part: str, claimed: str | None) -> Json:
    """A resource of the row `identity`: its stable id, the profile it claims (None where the
    gateway publishes none for the type) and the row's identifier."""
    resource: Json = {"resourceType": resource_type, "id": identity.resource_id(part)}
    if claimed is not None:
        resource["meta"] = {"profile": [claimed]}
    resource["identifier"] = [identity.identifier()]
    return resource


def coding(system: str, code: str, display: str | None = None) -> Json:
    found: Json = {"system": system, "code": code}
    if display is not None:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str | None = None) -> Json:
    return {"coding": [coding(system, code, display)]}


def quantity(value: Any, unit: str, code: str) -> Json:
    """A UCUM Quantity; `value` as the row holds it (an exact number keeps its text)."""
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def category(code: str, display: str) -> list[Json]:
    return [concept(OBSERVATION_CATEGORY, code, display)]


def issued(resource: Json, created_at: str | None) -> None:
    """`createdAt` as `Observation.issued` (an instant: a time of day is required)."""
    if created_at is None:
        return
    if len(created_at) <= 10:
        raise RowProblem("createdAt", "Observation.issued needs a time of day, not a date alone.")
    resource["issued"] = fhir_datetime(created_at)


def within(field: str, value: float | None, low: float, high: float | None = None) -> None:
    """A value the column accepts but the profile forbids (gw-goal-1, gw-sleep-1, gw-ex-1,
    gw-hyd-1) is a 422 naming the field, not a resource the write check would refuse."""
    if value is not None and (value < low or (high is not None and value > high)):
        bounds = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
        raise RowProblem(field, f"`{value}` is out of range: FHIR's profile needs {bounds}.")


def note(resource: Json, text: str | None) -> None:
    if text is not None:
        resource["note"] = [{"text": text}]


def put(resource: Json, key: str, value: Any) -> None:
    """Sets `key` only for a value the row has: FHIR forbids empty elements (json.html)."""
    if value is not None:
        resource[key] = value


# --- FHIR back to rows ----------------------------------------------------------------------


def native_int(view: FhirView, reference: Json | str | None, entity: str) -> int | None:
    """The native id of `entity` behind a reference, when the resource it names is gathered and
    carries the app's identifier."""
    found = view.get(reference)
    value = view.native_id(found, entity) if found is not None else None
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def user_id(view: FhirView, subject: Json | None) -> int:
    """The `userId` of a row about `subject`: the Users row behind it, else behind the view's
    patient; an EHR's patient becomes the Users row `stable_int("Patient/<id>")`."""
    found = native_int(view, subject, "Users")
    if found is None:
        found = native_int(view, view.ref(view.patient), "Users")
    return found if found is not None else stable_int(view.ref(view.patient))


def own_id(view: FhirView, resource: Json, entity: str) -> int | None:
    """The row id this app's identifier gives `resource`, None for another system's resource."""
    value = view.native_id(resource, entity)
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def row_id(view: FhirView, resource: Json, entity: str) -> int:
    """The row's id: the app's own, or `stable_int("Type/id")` for a foreign resource."""
    found = own_id(view, resource, entity)
    return found if found is not None else stable_int(view.ref(resource))


def has_code(element: Json | None, system: str, code: str) -> bool:
    if not isinstance(element, dict):
        return False
    return any(
        c.get("system") == system and c.get("code") == code for c in element.get("coding", ())
    )


def component(resource: Json, system: str, code: str) -> Json | None:
    return next(
        (c for c in resource.get("component", ()) if has_code(c.get("code"), system, code)), None
    )


def note_text(resource: Json) -> str | None:
    notes = [n["text"] for n in resource.get("note", ()) if isinstance(n.get("text"), str)]
    return "\n".join(notes) if notes else None


def quantity_value(element: Json | None, *codes: str) -> Any:
    """The value of `element.valueQuantity` when its UCUM code is one of `codes`."""
    if not isinstance(element, dict):
        return None
    found = element.get("valueQuantity")
    if not isinstance(found, dict) or found.get("code") not in codes:
        return None
    return found.get("value")


def whole(value: Any) -> int | None:
    """An INTEGER column's value from a FHIR number: only a whole number fits exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return value
    return int(value) if value.is_integer() else None


def effective(resource: Json) -> str | None:
    """The time an Observation holds: effectiveDateTime, else the period's start."""
    if isinstance(resource.get("effectiveDateTime"), str):
        return str(resource["effectiveDateTime"])
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        return str(period["start"])
    return None


def active(resource: Json) -> bool:
    """An Observation that still stands (observation-status: not entered in error/cancelled)."""
    return resource.get("status") not in ("entered-in-error", "cancelled")


def build(model: type[Row], **fields: Any) -> Row | None:
    """The row `fields` make, absent values left out; None when FHIR gave something the model
    refuses (a partial date, a text where a number goes): that resource has no row."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError:
        return None


def ours_or_foreign(view: FhirView, resource: Json, entity: str) -> bool:
    """Whether `resource` may make an `entity` row: it carries that entity's identifier, or no
    identifier of this app at all (another table's resource, e.g. a Patients row's heart-rate
    Goal, is that table's, never a second row here)."""
    prefix = f"{SID}/{view.app}/"
    systems = {str(i.get("system")) for i in resource.get("identifier", ())}
    app_systems = {s for s in systems if s.startswith(prefix)}
    return not app_systems or f"{prefix}{entity}" in app_systems
