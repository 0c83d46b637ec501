"""VitalsSamples <-> R4 vital signs Observations, one per measure the row holds.

A row becomes up to five Observations (identity parts `bloodPressure`, `heartRate`, `weight`,
`oxygenSaturation`, `temperature`), each claiming R4's own profile (bp, heartrate, bodyweight,
oxygensat, bodytemp) in the units the app records: mm[Hg], /min, [lb_av], %, [degF].
https://hl7.org/fhir/R4/observation-vitalsigns.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.jsonio import Json
from mappers.apps.base import Entity, Exported, FhirView, MappingContext, home, no_home
from mappers.apps.heart_recovery.tracking import shared
from mappers.apps.heart_recovery.tracking.models import VitalsSamples
from mappers.apps.native import fhir_datetime

ENTITY_NAME = "VitalsSamples"
BP, SYSTOLIC, DIASTOLIC = "85354-9", "8480-6", "8462-4"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


@dataclass(frozen=True, slots=True)
class Measure:
    """One single-valued vital sign: the row field (also the identity part), its LOINC code,
    profile and UCUM unit."""

    field: str
    loinc: str
    display: str
    profile: str
    unit: str
    code: str
    column: Callable[[Any], Any]  # FHIR value -> the column's type, None when it cannot hold it


def _same(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


MEASURES = (
    Measure("heartRate", "8867-4", "Heart rate", "heartrate", "/min", "/min", shared.whole),
    Measure("weight", "29463-7", "Body weight", "bodyweight", "lb", "[lb_av]", _same),
    Measure("oxygenSaturation", "2708-6", "Oxygen saturation in Arterial blood",
            "oxygensat", "%", "%", shared.whole),
    Measure("temperature", "8310-5", "Body temperature", "bodytemp", "°F", "[degF]", _same),
)  # fmt: skip
OXYGEN_CODES = ("2708-6", "59408-5")  # R4's oxygensat profile: SaO2 and SpO2 both qualify
PULSE_OXIMETRY = "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"


def _vital(row: VitalsSamples, ctx: MappingContext, part: str, claimed: str) -> Json:
    identity = ctx.identity(ENTITY_NAME, row.id)
    resource = shared.skeleton("Observation", identity, part, shared.vital_profile(claimed))
    resource["status"] = "final"
    resource["category"] = shared.category("vital-signs", "Vital Signs")
    resource["subject"] = shared.patient_ref(ctx, row.userId)
    resource["effectiveDateTime"] = fhir_datetime(row.recordedAt)
    shared.issued(resource, row.createdAt)
    return resource


def _pressure(code: str, display: str, value: int | None) -> Json:
    """A bp component; the bp profile requires both, so a missing one says why (vs-3)."""
    found: Json = {"code": shared.concept(shared.LOINC, code, display)}
    if value is None:
        found["dataAbsentReason"] = shared.concept(DATA_ABSENT, "unknown", "Unknown")
    else:
        found["valueQuantity"] = shared.quantity(value, "mmHg", "mm[Hg]")
    return found


def _blood_pressure(row: VitalsSamples, ctx: MappingContext) -> Json:
    resource = _vital(row, ctx, "bloodPressure", "bp")
    resource["code"] = shared.concept(shared.LOINC, BP, "Blood pressure panel")
    resource["component"] = [
        _pressure(code, display, value)
        for code, display, value in (
            (SYSTOLIC, "Systolic blood pressure", row.systolicBP),
            (DIASTOLIC, "Diastolic blood pressure", row.diastolicBP),
        )
    ]
    shared.note(resource, row.notes)
    return resource


def to_fhir(row: VitalsSamples, ctx: MappingContext) -> list[Json]:
    """One Observation per measure present; the row's notes go on each of them."""
    made = []
    if row.systolicBP is not None or row.diastolicBP is not None:
        made.append(_blood_pressure(row, ctx))
    for measure in MEASURES:
        value = getattr(row, measure.field)
        if value is None:
            continue
        resource = _vital(row, ctx, measure.field, measure.profile)
        resource["code"] = shared.concept(shared.LOINC, measure.loinc, measure.display)
        if measure.field == "oxygenSaturation":  # the app's SpO2 is a home pulse oximeter's
            resource["code"]["coding"].append(shared.coding(shared.LOINC, *PULSE_OXIMETRY))
        resource["valueQuantity"] = shared.quantity(value, measure.unit, measure.code)
        shared.note(resource, row.notes)
        made.append(resource)
    return made


def _read(resource: Json, fields: dict[str, Any]) -> None:
    """The columns `resource` fills, in the app's units only (kg and Cel are left out)."""
    code = resource.get("code")
    if shared.has_code(code, shared.LOINC, BP):
        for loinc, name in ((SYSTOLIC, "systolicBP"), (DIASTOLIC, "diastolicBP")):
            part = shared.component(resource, shared.LOINC, loinc)
            value = shared.whole(shared.quantity_value(part, "mm[Hg]"))
            if value is not None:
                fields[name] = value
        return
    for measure in MEASURES:
        codes = OXYGEN_CODES if measure.field == "oxygenSaturation" else (measure.loinc,)
        if any(shared.has_code(code, shared.LOINC, c) for c in codes):
            value = measure.column(shared.quantity_value(resource, measure.code))
            if value is not None:
                fields[measure.field] = value
            return


def _is_vital(resource: Json) -> bool:
    codes = (BP, *OXYGEN_CODES, *(m.loinc for m in MEASURES))
    return any(shared.has_code(resource.get("code"), shared.LOINC, c) for c in codes)


def rows(view: FhirView) -> list[Exported]:
    """Rows grouped by the app's identifier; an EHR's vital signs grouped by their time."""
    groups: dict[tuple[str, str], list[Json]] = {}
    for resource in view.of_type("Observation"):
        if not shared.active(resource) or not _is_vital(resource):
            continue
        if not shared.ours_or_foreign(view, resource, ENTITY_NAME):
            continue
        own = view.native_id(resource, ENTITY_NAME)
        when = shared.effective(resource)
        if own is None and when is None:
            continue
        key = ("own", own) if own is not None else ("time", str(when))
        groups.setdefault(key, []).append(resource)
    found = []
    for group in groups.values():
        row = _row(view, group)
        if row is not None:
            found.append(Exported(ENTITY_NAME, row, tuple(view.ref(r) for r in group)))
    return found


def _row(view: FhirView, group: list[Json]) -> VitalsSamples | None:
    first = group[0]
    when = shared.effective(first)
    fields: dict[str, Any] = {}
    for resource in group:
        _read(resource, fields)
    if when is None or not fields:
        return None  # nothing the row can carry (e.g. only a weight in kg)
    own = shared.own_id(view, first, ENTITY_NAME)
    native_id = own if own is not None else min(shared.row_id(view, r, ENTITY_NAME) for r in group)
    return shared.build(
        VitalsSamples,
        id=native_id,
        userId=shared.user_id(view, first.get("subject")),
        recordedAt=when,
        notes=shared.note_text(first) if own is not None else None,
        createdAt=first.get("issued") if own is not None else None,
        **fields,
    )


ENTITY = Entity(
    name=ENTITY_NAME,
    model=VitalsSamples,
    to_fhir=to_fhir,
    primary=(),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("Observation.identifier (the row's identifier on each of its Observations)"),
        "userId": home("Observation.subject (the Users row's Patient)"),
        "systolicBP": home("Observation (bp profile) component LOINC 8480-6 valueQuantity, mm[Hg]"),
        "diastolicBP": home(
            "Observation (bp profile) component LOINC 8462-4 valueQuantity, mm[Hg]"
        ),
        "heartRate": home("Observation (heartrate profile) valueQuantity, LOINC 8867-4, /min"),
        "weight": home("Observation (bodyweight profile) valueQuantity, LOINC 29463-7, [lb_av]"),
        "oxygenSaturation": home("Observation (oxygensat profile) valueQuantity, LOINC 2708-6, %"),
        "temperature": home("Observation (bodytemp profile) valueQuantity, LOINC 8310-5, [degF]"),
        "recordedAt": home("Observation.effectiveDateTime of each Observation"),
        "notes": home("Observation.note[0].text of each Observation"),
        "createdAt": home("Observation.issued of each Observation"),
        "updatedAt": no_home("the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"),
    },
)
