"""Calendars, CalendarEvents, EventTemplates. An event whose category names an appointment is
an Appointment; the app's other events (medication reminders, exercise sessions) are planned
activities, a CarePlan each (plan_events). Calendars and templates are the app's display
furniture. https://hl7.org/fhir/R4/appointment.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, home, no_home
from mappers.apps.concepts import translate, untranslate
from mappers.apps.heart_recovery.common import patient_ref
from mappers.apps.heart_recovery.fhir import BOOKKEEPING, compact
from mappers.apps.heart_recovery.models import Calendar, CalendarEvent, EventTemplate
from mappers.apps.heart_recovery.plan_events import care_plan
from mappers.apps.heart_recovery.plan_events import rows as plan_rows
from mappers.apps.heart_recovery.users import user_id
from mappers.apps.native import fhir_datetime
from mappers.apps.view import Exported, FhirView
from mappers.apps.view import concept_text as text_of

__all__ = ["CALENDARS", "EVENTS", "TEMPLATES", "rows"]

STATUS = "http://fhir-gateway.org/fhir/ConceptMap/heart-recovery-event-status"
CALENDAR_ONLY = "the app's own calendar furniture (names, colours, visibility): no clinical content"


def is_appointment(row: CalendarEvent) -> bool:
    return "appointment" in (row.category or "").lower()


def to_fhir(row: CalendarEvent, ctx: MappingContext) -> list[Json]:
    if not is_appointment(row):
        return [care_plan(row, ctx)]
    identity = ctx.identity("CalendarEvents", row.id)
    timed = row.endTime is not None and "T" in row.startTime and "T" in row.endTime
    if row.status == "cancelled" or (timed and row.status):
        status = translate(STATUS, row.status)
    else:
        status = "booked" if timed else "proposed"  # no status: the seed's events start pending
    return [compact({
        "resourceType": "Appointment",
        "id": identity.resource_id(),
        "identifier": [identity.identifier()],
        "status": status,
        "serviceCategory": [{"text": row.category}],
        "description": row.title,
        "comment": row.description,
        "start": fhir_datetime(row.startTime) if timed else None,
        "end": fhir_datetime(row.endTime) if timed and row.endTime else None,
        "requestedPeriod": None if timed else [{"start": fhir_datetime(row.startTime),
                                                "end": fhir_datetime(row.endTime) if row.endTime else None}],
        "created": fhir_datetime(row.createdAt) if row.createdAt else None,
        "participant": [{"actor": patient_ref(ctx, row.userId), "status": "accepted"},
                        {"actor": {"display": row.location, "type": "Location"}, "status": "accepted"}
                        if row.location else None],
    })]  # fmt: skip


def rows(view: FhirView) -> list[Exported]:
    out: list[Exported] = plan_rows(view)
    for appointment in view.of_type("Appointment"):
        native = view.native_id(appointment, "CalendarEvents")
        if native is None:
            continue
        period: Json = next(iter(appointment.get("requestedPeriod", ())), {})
        people = [
            p for p in appointment.get("participant", ()) if p.get("actor", {}).get("reference")
        ]
        place: Json = next((p["actor"] for p in appointment.get("participant", ())
                      if p.get("actor", {}).get("type") == "Location"), {})  # fmt: skip
        patient = view.get(people[0]["actor"]) if people else None
        status = appointment.get("status")
        start = appointment.get("start") or period.get("start")
        if not isinstance(start, str):
            continue
        row = CalendarEvent(
            id=int(native),
            calendarId=0,
            userId=user_id(view, patient or view.patient),
            title=appointment.get("description", ""),
            description=appointment.get("comment"),
            startTime=start,
            endTime=appointment.get("end") or period.get("end"),
            location=place.get("display"),
            category=text_of(next(iter(appointment.get("serviceCategory", ())), None)),
            status=untranslate(STATUS, status) or "pending",  # type: ignore[arg-type]
            createdAt=appointment.get("created"),
        )
        out.append(Exported("CalendarEvents", row, (view.ref(appointment),)))
    return out


EVENTS = Entity(
    name="CalendarEvents",
    model=CalendarEvent,
    to_fhir=to_fhir,
    primary=("Appointment", "CarePlan"),
    foreign_keys={"calendarId": "Calendars", "userId": "Users", "parentEventId": "CalendarEvents"},
    fields={
        "id": home(
            "Appointment (category names an appointment) or CarePlan identifier (…/CalendarEvents)"
        ),
        "calendarId": no_home("Calendars have no FHIR home; the way back writes 0"),
        "userId": home("Appointment.participant.actor / CarePlan.subject (the patient)"),
        "title": home("Appointment.description / CarePlan.title"),
        "description": home("Appointment.comment / CarePlan.description"),
        "startTime": home(
            "Appointment.start (requestedPeriod.start when the event has no end time) / "
            "CarePlan.activity.detail.scheduledPeriod.start"
        ),
        "endTime": home(
            "Appointment.end (or requestedPeriod.end) / CarePlan.activity.detail.scheduledPeriod.end"
        ),
        "isAllDay": no_home("R4 has no all-day flag; start and end say the span"),
        "location": home(
            "Appointment.participant.actor (type Location, display) / CarePlan.activity.detail.location.display"
        ),
        "category": home("Appointment.serviceCategory.text / CarePlan.activity.detail.code.text"),
        "status": home(
            "Appointment.status (ConceptMap heart-recovery-event-status) / "
            "CarePlan.activity.detail.status (ConceptMap heart-recovery-event-status-careplan)"
        ),
        "recurrenceRule": no_home(
            "R4 has no recurrence rule (R5's Appointment added recurrenceTemplate)"
        ),
        "recurrenceException": no_home("R4 has no recurrence rule, so no exceptions to one"),
        "parentEventId": home(
            "CarePlan.partOf -> the series' CarePlan (an Appointment has no series in R4: not kept there)"
        ),
        "color": no_home("display colour in the app's calendar"),
        "createdAt": home("Appointment.created / CarePlan.created"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)
CALENDARS = Entity(
    name="Calendars", model=Calendar, no_home=CALENDAR_ONLY,
    fields={name: no_home(CALENDAR_ONLY) for name in Calendar.model_fields},
)  # fmt: skip
_TEMPLATE = "a reusable event preset of the app (name, duration, colour), not a record of care"
TEMPLATES = Entity(
    name="EventTemplates", model=EventTemplate, no_home=_TEMPLATE,
    fields={name: no_home(_TEMPLATE) for name in EventTemplate.model_fields},
)  # fmt: skip
