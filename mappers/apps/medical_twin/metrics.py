"""metric <-> Observation, with the wearable that measured it as a Device.
https://hl7.org/fhir/R4/observation.html, https://hl7.org/fhir/R4/device.html

A metric from whoop, oura, apple_health or garmin claims `wearable-metric` and points at one
Device (`wearable-device`) per user and source: identity `MetricSource` `<userId>:<source>`, so
every metric of that source names the same Device and re-sending makes no new one; its type is
the `data-source` code (ConceptMap `twin-metric-source`). A `manual` metric claims
`personal-metric`, performer the patient, no device. A metric that is a vital sign (weight,
heart rate, respiratory rate, SpO2, body temperature, in a unit R4 allows) also claims R4's
vital signs profile with its LOINC code. The name stays `code.text`; the wearable-metric code
(and LOINC's) sits beside it when the gateway knows the name. The value is a Quantity, `1`
(unity) when the app gives no unit. A profile is claimed only where the metric meets it (a
wearable's unit that is not UCUM, a manual percentage beyond 0-100 claim none).
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.concepts import translate, untranslate
from mappers.apps.medical_twin.codes import (
    DATA_SOURCE,
    LOINC,
    OBSERVATION_CATEGORY,
    SOURCE_MAP,
    metric_codings,
    profile,
    quantity,
    vital,
    vital_profile,
)
from mappers.apps.medical_twin.common import (
    APP,
    first_note,
    head,
    instant,
    narrative,
    note,
    patient,
    present,
)
from mappers.apps.medical_twin.models import Metric
from mappers.apps.native import Identity, fhir_datetime
from mappers.apps.view import FhirView, concept_text

VITAL_SIGNS = {"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}  # fmt: skip
_DEVICE_NAMES = {
    "whoop": "WHOOP",
    "oura": "Oura",
    "apple_health": "Apple Health",
    "garmin": "Garmin",
}


def source_identity(user_id: str, source: str) -> Identity:
    return Identity.of(APP, "MetricSource", f"{user_id}:{source}")


def to_fhir(row: Metric, ctx: MappingContext) -> list[Json]:
    value = quantity(row.value, row.unit)
    found_vital = vital(row.metricName, value.get("code"))
    manual = row.source == "manual"
    profiles = [profile("personal-metric" if manual else "wearable-metric")]
    codings = metric_codings(row.metricName)
    if found_vital:
        profiles.append(vital_profile(found_vital.profile))
        codings = [{"system": LOINC, "code": found_vital.loinc, "display": found_vital.display}]
    if not manual and "code" not in value:  # wearable-metric's gw-wm-1 wants a UCUM unit
        profiles.remove(profile("wearable-metric"))
    if (
        manual and value.get("code") == "%" and not 0 <= row.value <= 100
    ):  # personal-metric's gw-pm-1
        profiles.remove(profile("personal-metric"))
    observation = head("Observation", row, ctx, profiles=profiles)
    observation |= {
        "text": narrative(row.title),
        "status": "final",
        **present(category=[VITAL_SIGNS] if found_vital else None),
        "code": {**present(coding=codings or None), "text": row.metricName},
        "subject": patient(row, ctx),
        "effectiveDateTime": fhir_datetime(row.date),
    }
    observation |= present(issued=instant(row.createdAt))
    if manual:
        observation["performer"] = [patient(row, ctx)]
    observation["valueQuantity"] = value
    observation |= note(row.notes)
    if manual:
        return [observation]
    device = _device(row, ctx)
    observation["device"] = {"reference": f"Device/{device['id']}"}
    return [observation, device]


def _device(row: Metric, ctx: MappingContext) -> Json:
    own = source_identity(row.userId, row.source)
    code = translate(SOURCE_MAP, row.source)
    return {
        "resourceType": "Device",
        "id": own.resource_id(),
        "meta": {"profile": [profile("wearable-device")]},
        "identifier": [own.identifier()],
        "deviceName": [{"name": _DEVICE_NAMES[row.source], "type": "user-friendly-name"}],
        "type": {"coding": [{"system": DATA_SOURCE, "code": code}]},
        "patient": patient(row, ctx),
    }


def source(observation: Json, view: FhirView) -> str:
    """The MetricSource of an Observation: its Device's data-source code, else `manual`."""
    device = view.get(observation.get("device")) or {}
    for coding in device.get("type", {}).get("coding", ()):
        if coding.get("system") == DATA_SOURCE and isinstance(coding.get("code"), str):
            found = untranslate(SOURCE_MAP, coding["code"])
            if found:
                return found
    return "manual"


def fields(observation: Json, view: FhirView) -> Json | None:
    """The metric fields of an Observation with a quantity or an integer (the app's own or
    another's: wearable-metric and personal-metric allow `valueInteger`)."""
    value = observation.get("valueQuantity") or {"value": observation.get("valueInteger")}
    if isinstance(value.get("value"), bool):
        return None
    name = concept_text(observation.get("code"))
    if not isinstance(value.get("value"), int | float) or not name:
        return None
    issued = observation.get("issued")
    return present(
        source=source(observation, view),
        metricName=name,
        value=value["value"],
        unit=value.get("unit"),
        notes=first_note(observation),
        createdAt=issued if view.native_id(observation, "Event") else None,
    )
