"""Appointment -> Appointment (profile clinic-appointment) + Encounter.

Every appointment also makes an Encounter (`basedOn`-style link: `Encounter.appointment`),
its status through ConceptMap `medrecord-appointment-status-encounter` (`planned` for a
scheduled visit, `cancelled` for a no-show): the medical record, its symptoms and
prescriptions, and the vital signs all belong to a visit, and a note may be started before the
visit happens, so the Encounter they point at always exists.
https://hl7.org/fhir/R4/appointment.html, encounter.html
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.concepts import translate
from mappers.apps.medrecord.common import CS, PROFILE, cm, instant, meta
from mappers.apps.medrecord.models import Appointment
from mappers.apps.native import fhir_datetime

__all__ = ["ACT_CODE", "DEFAULT_MINUTES", "V2_0276", "appointment_to_fhir"]

DEFAULT_MINUTES = 30  # the seed's @default(30)
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"


def appointment_to_fhir(row: Appointment, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Appointment", row.id)
    status = row.status or "scheduled"
    start = instant(row.appointmentDate, "appointmentDate")
    minutes = row.durationMinutes if row.durationMinutes is not None else DEFAULT_MINUTES
    end = _plus_minutes(start, minutes)
    patient = ctx.identity("Patient", row.patientId).reference("Patient")
    practitioner = ctx.identity("Provider", row.providerId).reference("Practitioner")
    kind = _appointment_type(row)
    reason = row.reasonForVisit if row.reasonForVisit is not None else row.reason
    appointment: Json = {
        "resourceType": "Appointment",
        "id": identity.resource_id(),
        "meta": meta(f"{PROFILE}/clinic-appointment", row, "reason"),
        "identifier": [identity.identifier()],
        "status": translate(cm("medrecord-appointment-status"), status),
        "appointmentType": kind,
        "start": start,
        "end": end,
        "participant": [
            {"actor": patient, "status": "accepted"},
            {"actor": practitioner, "status": "accepted"},
        ],
    }
    if row.durationMinutes is not None:  # else the seed's default gives the end only
        appointment["minutesDuration"] = row.durationMinutes
    if reason is not None:
        appointment["reasonCode"] = [{"text": reason}]
    if row.notes is not None:
        appointment["comment"] = row.notes
    if row.createdAt is not None:
        appointment["created"] = fhir_datetime(row.createdAt)
    encounter: Json = {
        "resourceType": "Encounter",
        "id": identity.resource_id("encounter"),
        "identifier": [identity.identifier()],
        "status": translate(cm("medrecord-appointment-status-encounter"), status),
        "class": _encounter_class(row),
        "type": [kind],
        "subject": patient,
        "participant": [{"individual": practitioner}],
        "appointment": [identity.reference("Appointment")],
        "period": {"start": start, **({"end": end} if status == "completed" else {})},
    }
    if reason is not None:
        encounter["reasonCode"] = [{"text": reason}]
    return [appointment, encounter]


def _appointment_type(row: Appointment) -> Json:
    """The app's type in its code system (what the profile binds), and HL7 v2 table 0276's
    code where ConceptMap `medrecord-appointment-type` gives one (telehealth has none)."""
    coding = [{"system": f"{CS}/appointment-type", "code": row.appointmentType}]
    try:
        v2 = translate(cm("medrecord-appointment-type"), row.appointmentType)
    except LookupError:
        pass
    else:
        coding.append({"system": V2_0276, "code": v2})
    return {"coding": coding}


def _encounter_class(row: Appointment) -> Json:
    if row.appointmentType == "telehealth":
        return {"system": ACT_CODE, "code": "VR", "display": "virtual"}
    return {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"}


def _plus_minutes(start: str, minutes: int) -> str:
    moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
    end = (moment + timedelta(minutes=minutes)).isoformat()
    return end.replace("+00:00", "Z") if start.endswith("Z") else end
