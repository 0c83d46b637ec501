"""Appointment -> Appointment rows; vital signs Observations -> VitalSigns rows.

An EHR's Encounter (no app identifier) becomes an Appointment when it names a Practitioner
the export carries as a Provider (an EHR's Practitioner is one, a partial row without the
email only the app records): `telehealth` for a virtual visit (class VR), the type the
Encounter's v2-0276 or appointment-type coding gives, `routine_checkup` for a check-up
(SNOMED), `sick_visit` for any other visit (the seed's only type for a visit about a
complaint). Its vital signs (category vital-signs) become one VitalSigns row, named by the
Encounter's id, with kg, cm and °C converted to the app's pounds, inches and °F.
https://hl7.org/fhir/R4/encounter.html, observation-vitalsigns.html
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal

from gateway.jsonio import ExactDecimal, Json
from mappers.apps.concepts import untranslate
from mappers.apps.medrecord.common import CS, LOINC, SNOMED, cm, spelled
from mappers.apps.medrecord.models import Appointment, VitalSigns
from mappers.apps.medrecord.reading import code_in, native_of, own, text_of, valid
from mappers.apps.medrecord.visits import V2_0276
from mappers.apps.medrecord.vitals import BP_PARTS, VITALS
from mappers.apps.view import Exported, FhirView

__all__ = ["appointments_back", "vitals_back"]

_CHECKUP = {"185349003", "162673000", "410620009", "185345009", "410621008"}
_BY_LOINC = {v.loinc: v.field for v in (*VITALS, *BP_PARTS)}
_BY_LOINC["59408-5"] = "oxygenSaturation"  # SpO2 by pulse oximetry, as EHRs often code it
# unit an EHR may send -> (the app's unit, factor, decimal places of the column)
_CONVERT = {
    "kg": (Decimal("2.2046226218"), "0.01"),
    "g": (Decimal("0.0022046226218"), "0.01"),
    "cm": (Decimal("0.3937007874"), "0.01"),
    "m": (Decimal("39.37007874"), "0.01"),
}


def appointments_back(view: FhirView, providers: Collection[str]) -> list[Exported]:
    """The app's Appointments, an EHR's Appointments and Encounters with a known provider."""
    rows = []
    for appointment in view.of_type("Appointment"):
        native = view.native_id(appointment, "Appointment")
        values = _appointment(view, native or str(appointment["id"]), appointment)
        if native is None and values["providerId"] not in providers:
            continue
        row = valid(Appointment, values)
        if row is not None:
            rows.append(Exported("Appointment", row, (view.ref(appointment),)))
    booked = {source for exported in rows for source in exported.sources}
    for encounter in view.of_type("Encounter"):
        if view.native_id(encounter, "Appointment") or any(
            a.get("reference") in booked for a in encounter.get("appointment", ())
        ):
            continue  # the visit of an Appointment read above
        visit = _ehr_appointment(view, encounter, providers)
        row = valid(Appointment, visit) if visit else None
        if row is not None:
            rows.append(Exported("Appointment", row, (view.ref(encounter),)))
    return rows


def _appointment(view: FhirView, native: str, appointment: Json) -> Json:
    actors = [p["actor"] for p in appointment.get("participant", ()) if "actor" in p]
    patient = next((a for a in actors if str(a.get("reference", "")).startswith("Patient/")), None)
    doctor = next(
        (a for a in actors if str(a.get("reference", "")).startswith("Practitioner/")), None
    )
    status = appointment.get("status")
    reason = text_of(appointment.get("reasonCode"))
    return {
        "id": native,
        "patientId": native_of(view, patient, "Patient"),
        "providerId": native_of(view, doctor, "Provider"),
        "appointmentDate": appointment.get("start"),
        "appointmentType": _type_of(appointment.get("appointmentType")),
        "reason" if spelled(appointment, "Appointment", "reason") else "reasonForVisit": reason,
        "notes": appointment.get("comment"),
        "durationMinutes": appointment.get("minutesDuration"),
        "status": untranslate(cm("medrecord-appointment-status"), status) if status else None,
        "createdAt": appointment.get("created"),
    }


def _type_of(concept: Json | None) -> str | None:
    """The app's type: its own code, else the one v2-0276's code maps back from."""
    v2 = code_in(concept, V2_0276)
    own_code = code_in(concept, f"{CS}/appointment-type")
    return own_code or (untranslate(cm("medrecord-appointment-type"), v2) if v2 else None)


def _ehr_appointment(view: FhirView, encounter: Json, providers: Collection[str]) -> Json | None:
    doctor = next(
        (p["individual"] for p in encounter.get("participant", ()) if "individual" in p), None
    )
    provider = native_of(view, doctor, "Provider")
    start = (encounter.get("period") or {}).get("start")
    if provider not in providers or not isinstance(start, str):
        return None
    status = encounter.get("status")
    return {
        "id": encounter["id"],
        "patientId": native_of(view, encounter.get("subject"), "Patient"),
        "providerId": provider,
        "appointmentDate": start,
        "appointmentType": _ehr_type(encounter),
        "reasonForVisit": text_of(encounter.get("reasonCode")),
        "status": untranslate(cm("medrecord-appointment-status-encounter"), status)
        if isinstance(status, str)
        else None,
    }


def _ehr_type(encounter: Json) -> str:
    if (encounter.get("class") or {}).get("code") == "VR":
        return "telehealth"
    for kind in encounter.get("type", ()):
        found = _type_of(kind)
        if found:
            return found
        if code_in(kind, SNOMED) in _CHECKUP:
            return "routine_checkup"
    return "sick_visit"


def vitals_back(view: FhirView, appointments: dict[str, str]) -> list[Exported]:
    """`appointments`: Encounter reference -> the Appointment row's id, for the visits the
    export carries; a vital sign outside them has no appointment to belong to."""
    rows = []
    for native, readings in own(view, "Observation", "VitalSigns").items():
        row = _vitals_row(view, native, readings, appointments)
        if row is not None:
            rows.append(row)
    ehr: dict[str, list[Json]] = {}
    for observation in view.of_type("Observation"):
        encounter = (observation.get("encounter") or {}).get("reference")
        if observation.get("identifier") and any(
            view.native_id(observation, e) for e in ("VitalSigns", "Symptom")
        ):
            continue
        if encounter in appointments and _is_vital(observation):
            ehr.setdefault(encounter, []).append(observation)
    for encounter, readings in ehr.items():
        row = _vitals_row(view, encounter.split("/")[-1], readings, appointments)
        if row is not None:
            rows.append(row)
    return rows


def _is_vital(observation: Json) -> bool:
    return any(code_in(c, _CATEGORY) == "vital-signs" for c in observation.get("category", ()))


_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _vitals_row(
    view: FhirView, native: str, readings: list[Json], appointments: dict[str, str]
) -> Exported | None:
    encounter = (readings[0].get("encounter") or {}).get("reference")
    values: Json = {
        "id": native,
        "appointmentId": appointments.get(encounter) if isinstance(encounter, str) else None,
        "recordedAt": readings[0].get("effectiveDateTime"),
    }
    for reading in readings:
        for part in [reading, *reading.get("component", ())]:
            field = _BY_LOINC.get(code_in(part.get("code"), LOINC) or "")
            if field is not None and "valueQuantity" in part:
                values.setdefault(field, _value(part["valueQuantity"], field))
    row = valid(VitalSigns, values)
    if row is None or len(row.model_dump(exclude_none=True)) <= 3:
        return None
    return Exported("VitalSigns", row, tuple(view.ref(r) for r in readings))


def _value(quantity: Json, field: str) -> object:
    """The number in the app's unit: an EHR's kg, cm or Cel converted (rounded as the
    column is), the app's own unit as it is."""
    value = quantity.get("value")
    code = quantity.get("code")
    if not isinstance(value, int | float):
        return None
    integer = field not in ("temperature", "weight", "height", "bmi")
    if code == "Cel":
        converted = Decimal(str(value)) * Decimal("1.8") + 32
        return ExactDecimal(str(converted.quantize(Decimal("0.1"), ROUND_HALF_UP)))
    if code in _CONVERT:
        factor, places = _CONVERT[code]
        converted = Decimal(str(value)) * factor
        return ExactDecimal(str(converted.quantize(Decimal(places), ROUND_HALF_UP)))
    if integer:
        return round(value) if isinstance(value, float) else value
    return value
