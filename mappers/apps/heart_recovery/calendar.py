"""Calendars, CalendarEvents, EventTemplates. An event whose category names an appointment is
an Appointment; the app's other events (medication reminders, exercise sessions) are its own
scheduling, whose clinical content is already in Medications and ExercisePrescriptions: they
make no resource. Calendars and templates are the app's display furniture.
https://hl7.org/fhir/R4/appointment.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, home, no_home
from mappers.apps.heart_recovery.common import patient_ref
from mappers.apps.heart_recovery.fhir import BOOKKEEPING, compact, text_of
from mappers.apps.heart_recovery.models import Calendar, CalendarEvent, EventTemplate
from mappers.apps.native import fhir_datetime
from mappers.apps.view import Exported, FhirView

__all__ = ["CALENDARS", "EVENTS", "TEMPLATES", "rows"]

STATUS = {"pending": "booked", "completed": "fulfilled", "cancelled": "cancelled", None: "booked"}
BACK = {
    "booked": "pending",
    "fulfilled": "completed",
    "cancelled": "cancelled",
    "proposed": "pending",
}
CALENDAR_ONLY = "the app's own calendar furniture (names, colours, visibility): no clinical content"


def is_appointment(row: CalendarEvent) -> bool:
    return "appointment" in (row.category or "").lower()


def to_fhir(row: CalendarEvent, ctx: MappingContext) -> list[Json]:
    if not is_appointment(row):
        return []
    identity = ctx.identity("CalendarEvents", row.id)
    timed = row.endTime is not None and "T" in row.startTime and "T" in row.endTime
    status = STATUS[row.status] if timed or row.status == "cancelled" else "proposed"
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
    from mappers.apps.heart_recovery.users import user_id

    out: list[Exported] = []
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
            status=BACK.get(status, "pending"),  # type: ignore[arg-type]
            createdAt=appointment.get("created"),
        )
        out.append(Exported("CalendarEvents", row, (view.ref(appointment),)))
    return out


_NOT_APPOINTMENT = "; an event that is no appointment makes no resource"
EVENTS = Entity(
    name="CalendarEvents",
    model=CalendarEvent,
    to_fhir=to_fhir,
    primary=("Appointment",),
    foreign_keys={"calendarId": "Calendars", "userId": "Users", "parentEventId": "CalendarEvents"},
    fields={
        "id": home(
            "Appointment.identifier (…/CalendarEvents), for a category naming an appointment"
        ),
        "calendarId": no_home("Calendars have no FHIR home; the way back writes 0"),
        "userId": home("Appointment.participant.actor (the patient)"),
        "title": home("Appointment.description"),
        "description": home("Appointment.comment"),
        "startTime": home(
            "Appointment.start, or requestedPeriod.start when the event has no end time"
        ),
        "endTime": home("Appointment.end, or requestedPeriod.end"),
        "isAllDay": no_home("R4's Appointment has no all-day flag; start and end say the span"),
        "location": home("Appointment.participant.actor (type Location, display)"),
        "category": home(
            "Appointment.serviceCategory.text (an appointment when it says so)" + _NOT_APPOINTMENT
        ),
        "status": home(
            "Appointment.status (pending booked, completed fulfilled, cancelled cancelled)"
        ),
        "recurrenceRule": no_home(
            "R4's Appointment has no recurrence (R5 added recurrenceTemplate)"
        ),
        "recurrenceException": no_home(
            "R4's Appointment has no recurrence (R5 added recurrenceTemplate)"
        ),
        "parentEventId": no_home("R4's Appointment has no recurrence series to belong to"),
        "color": no_home("display colour in the app's calendar"),
        "createdAt": home("Appointment.created"),
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
