"""A calendar event that is no appointment (a medication reminder, an exercise session, a rest
day) -> a CarePlan with one scheduled activity: R4's place for what the patient plans to do
when, with its status. The event's title is the plan's title, its category the activity's code
text, its times the activity's `scheduledPeriod`, a recurring instance's series the plan it is
`partOf`. https://hl7.org/fhir/R4/careplan.html#CarePlan.activity.detail
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.concepts import translate, untranslate
from mappers.apps.heart_recovery.common import patient_ref
from mappers.apps.heart_recovery.fhir import compact
from mappers.apps.heart_recovery.models import CalendarEvent
from mappers.apps.heart_recovery.users import user_id
from mappers.apps.native import fhir_datetime
from mappers.apps.view import Exported, FhirView
from mappers.apps.view import concept_text as text_of

__all__ = ["care_plan", "rows"]

STATUS = "http://fhir-gateway.org/fhir/ConceptMap/heart-recovery-event-status-careplan"
PLAN_STATUS = {"cancelled": "revoked", "completed": "completed"}  # else active
NO_STATUS = "unknown"  # care-plan-activity-status: an event the app left without one


def care_plan(row: CalendarEvent, ctx: MappingContext) -> Json:
    identity = ctx.identity("CalendarEvents", row.id)
    parent = ctx.resource("CalendarEvents", row.parentEventId) if row.parentEventId else None
    series = parent if parent and parent["resourceType"] == "CarePlan" else None
    return compact({
        "resourceType": "CarePlan",
        "id": identity.resource_id(),
        "identifier": [identity.identifier()],
        "partOf": [{"reference": f"CarePlan/{series['id']}"}] if series else None,
        "status": PLAN_STATUS.get(row.status or "", "active"),
        "intent": "plan",
        "title": row.title,
        "description": row.description,
        "subject": patient_ref(ctx, row.userId),
        "created": fhir_datetime(row.createdAt) if row.createdAt else None,
        "activity": [{"detail": {
            "code": {"text": row.category},
            "status": translate(STATUS, row.status) if row.status else NO_STATUS,
            "scheduledPeriod": {"start": fhir_datetime(row.startTime),
                                "end": fhir_datetime(row.endTime) if row.endTime else None},
            "location": {"display": row.location},
        }}],
    })  # fmt: skip


def rows(view: FhirView) -> list[Exported]:
    out: list[Exported] = []
    for plan in view.of_type("CarePlan"):
        native = view.native_id(plan, "CalendarEvents")
        activity: Json = next(iter(plan.get("activity", ())), {})
        detail: Json = activity.get("detail", {})
        period: Json = detail.get("scheduledPeriod", {})
        if native is None or "start" not in period:
            continue
        series = view.get(next(iter(plan.get("partOf", ())), None))
        parent = view.native_id(series, "CalendarEvents") if series else None
        row = CalendarEvent(
            id=int(native),
            calendarId=0,
            userId=user_id(view, view.get(plan.get("subject")) or view.patient),
            title=plan.get("title", ""),
            description=plan.get("description"),
            startTime=period["start"],
            endTime=period.get("end"),
            location=detail.get("location", {}).get("display"),
            category=text_of(detail.get("code")),
            status=untranslate(STATUS, detail.get("status", NO_STATUS)),  # type: ignore[arg-type]
            parentEventId=int(parent) if parent else None,
            createdAt=plan.get("created"),
        )
        out.append(Exported("CalendarEvents", row, (view.ref(plan),)))
    return out
