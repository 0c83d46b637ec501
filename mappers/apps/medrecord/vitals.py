"""VitalSigns -> one Observation per value present: R4's vital signs profiles (bp, heartrate,
bodytemp, resprate, oxygensat, bodyweight, bodyheight, bmi) and pain (LOINC 72514-3, which R4
does not count as a vital sign) on a plain Observation.

The seed gives no units for temperature, weight and height; MedRecord AI is a US clinic's
system, so they are read as °F (`[degF]`), pounds (`[lb_av]`) and inches (`[in_i]`), units the
vital signs profiles allow. https://hl7.org/fhir/R4/observation-vitalsigns.html
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.jsonio import Json
from mappers.apps.base import MappingContext, RowProblem
from mappers.apps.medrecord.common import LOINC, UCUM, patient_of
from mappers.apps.medrecord.models import VitalSigns
from mappers.apps.native import fhir_datetime

__all__ = ["BP_PARTS", "VITALS", "Vital", "vitals_to_fhir"]

R4 = "http://hl7.org/fhir/StructureDefinition"
_CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
            "display": "Vital Signs",
        }
    ]
}


@dataclass(frozen=True, slots=True)
class Vital:
    field: str  # the VitalSigns column
    part: str  # resource_id part
    loinc: str
    display: str
    unit: str
    ucum: str
    profile: str | None  # R4's vital signs profile, None for pain


VITALS = (
    Vital("heartRate", "heartRate", "8867-4", "Heart rate", "/min", "/min", "heartrate"),
    Vital("temperature", "temperature", "8310-5", "Body temperature", "°F", "[degF]", "bodytemp"),
    Vital("respiratoryRate", "respiratoryRate", "9279-1", "Respiratory rate", "/min", "/min", "resprate"),
    Vital("oxygenSaturation", "oxygenSaturation", "2708-6", "Oxygen saturation in Arterial blood", "%", "%", "oxygensat"),
    Vital("weight", "weight", "29463-7", "Body weight", "lb", "[lb_av]", "bodyweight"),
    Vital("height", "height", "8302-2", "Body height", "in", "[in_i]", "bodyheight"),
    Vital("bmi", "bmi", "39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m2", "bmi"),
    Vital("painLevel", "painLevel", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}", "{score}", None),
)  # fmt: skip
BP_PARTS = (
    Vital("bloodPressureSystolic", "", "8480-6", "Systolic blood pressure", "mmHg", "mm[Hg]", None),
    Vital("bloodPressureDiastolic", "", "8462-4", "Diastolic blood pressure", "mmHg", "mm[Hg]", None),
)  # fmt: skip


def vitals_to_fhir(row: VitalSigns, ctx: MappingContext) -> list[Json]:
    appointment = ctx.resource("Appointment", row.appointmentId)
    patient = patient_of(appointment)
    start = appointment.get("start") if appointment else None
    if patient is None or not isinstance(start, str):
        raise RowProblem("appointmentId", f"appointment `{row.appointmentId}` is not known.")
    moment = row.recordedAt or row.createdAt
    base: Json = {
        "status": "final",
        "category": [_CATEGORY],
        "subject": patient,
        "encounter": ctx.identity("Appointment", row.appointmentId).reference(
            "Encounter", "encounter"
        ),
        "effectiveDateTime": fhir_datetime(moment) if moment else start,
    }
    identity = ctx.identity("VitalSigns", row.id)
    made = []
    for vital in VITALS:
        value = getattr(row, vital.field)
        if value is not None:
            made.append(_observation(identity.resource_id(vital.part), vital, base, {
                "valueQuantity": _quantity(value, vital)}))  # fmt: skip
    made.extend(_blood_pressure(row, identity.resource_id("bloodPressure"), base))
    for resource in made:
        resource["identifier"] = [identity.identifier()]
    return made


def _observation(resource_id: str, vital: Vital, base: Json, value: Json) -> Json:
    resource: Json = {"resourceType": "Observation", "id": resource_id}
    if vital.profile:
        resource["meta"] = {"profile": [f"{R4}/{vital.profile}"]}
    resource.update(base if vital.profile else {k: v for k, v in base.items() if k != "category"})
    resource["code"] = {
        "coding": [{"system": LOINC, "code": vital.loinc, "display": vital.display}]
    }
    return {**resource, **value}


def _quantity(value: float, vital: Vital) -> Json:
    return {"value": value, "unit": vital.unit, "system": UCUM, "code": vital.ucum}


def _blood_pressure(row: VitalSigns, resource_id: str, base: Json) -> list[Json]:
    """Both pressures: one bp-profile Observation with two components; one alone: a plain
    vital-signs Observation of that pressure (bp requires both)."""
    present = [(v, getattr(row, v.field)) for v in BP_PARTS if getattr(row, v.field) is not None]
    if not present:
        return []
    if len(present) == 1:
        vital, value = present[0]
        single = Vital(
            vital.field, "", vital.loinc, vital.display, vital.unit, vital.ucum, "vitalsigns"
        )
        return [_observation(resource_id, single, base, {"valueQuantity": _quantity(value, vital)})]
    panel = Vital(
        "", "", "85354-9", "Blood pressure panel with all children optional", "", "", "bp"
    )
    components = [
        {"code": {"coding": [{"system": LOINC, "code": v.loinc, "display": v.display}]},
         "valueQuantity": _quantity(value, v)}
        for v, value in present
    ]  # fmt: skip
    return [_observation(resource_id, panel, base, {"component": components})]
