"""TherapyGoals -> Goal (therapy-goal), DeviceConnections -> Device (wearable-device), both
ways; DeviceSyncLogs has no home.

A goal without a status is `proposed` (Goal.lifecycleStatus is required and the app's
ConceptMap maps nothing to it, so it comes back without a status). A connection's OAuth tokens
are secrets: dropped and reported, never in FHIR.
https://hl7.org/fhir/R4/goal.html, https://hl7.org/fhir/R4/device.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, Exported, FhirView, MappingContext, home, no_home
from mappers.apps.concepts import translate, untranslate
from mappers.apps.heart_recovery.tracking import shared
from mappers.apps.heart_recovery.tracking.models import (
    DeviceConnections,
    DeviceSyncLogs,
    TherapyGoals,
)
from mappers.apps.native import GATEWAY, fhir_date

BOOKKEEPING = "the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"
GOAL_STATUS = f"{GATEWAY}/ConceptMap/heart-recovery-goal-status"
PROGRESS = f"{GATEWAY}/StructureDefinition/goal-progress"
DATA_SOURCE = f"{GATEWAY}/CodeSystem/data-source"
DEVICE_TYPES = ("strava", "polar", "samsung")
NO_SYNC_HOME = "how the app syncs the connection; Device has no element for a sync schedule"


def _goal(row: TherapyGoals, ctx: MappingContext) -> list[Json]:
    shared.within("progress", row.progress, 0, 100)
    identity = ctx.identity("TherapyGoals", row.id)
    resource = shared.skeleton("Goal", identity, "", shared.profile("therapy-goal"))
    if row.progress is not None:
        resource["extension"] = [{"url": PROGRESS, "valueInteger": row.progress}]
    resource["lifecycleStatus"] = translate(GOAL_STATUS, row.status) if row.status else "proposed"
    shared.put(resource, "category", row.category and [{"text": row.category}])
    resource["description"] = {"text": row.title}
    resource["subject"] = shared.patient_ref(ctx, row.userId)
    shared.put(resource, "target", row.targetDate and [{"dueDate": fhir_date(row.targetDate)}])
    shared.note(resource, row.description)
    return [resource]


def _device(row: DeviceConnections, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("DeviceConnections", row.id)
    resource = shared.skeleton("Device", identity, "", shared.profile("wearable-device"))
    shared.put(resource, "status", {True: "active", False: "inactive", None: None}[row.isActive])
    if row.deviceName is not None:
        resource["deviceName"] = [{"name": row.deviceName, "type": "user-friendly-name"}]
    resource["type"] = shared.concept(DATA_SOURCE, row.deviceType)
    resource["patient"] = shared.patient_ref(ctx, row.userId)
    return [resource]


def goal_row(view: FhirView, resource: Json) -> TherapyGoals | None:
    """Any Goal of the patient: the app's own exactly, an EHR's by its description."""
    progress = next(
        (e.get("valueInteger") for e in resource.get("extension", ()) if e.get("url") == PROGRESS),
        None,
    )
    own = shared.own_id(view, resource, "TherapyGoals") is not None
    category = next((c.get("text") for c in resource.get("category", ())), None)
    return shared.build(
        TherapyGoals,
        id=shared.row_id(view, resource, "TherapyGoals"),
        userId=shared.user_id(view, resource.get("subject")),
        title=resource.get("description", {}).get("text"),
        description=shared.note_text(resource),
        category=category if own else None,
        targetDate=next((t.get("dueDate") for t in resource.get("target", ())), None),
        progress=progress,
        status=untranslate(GOAL_STATUS, str(resource.get("lifecycleStatus"))),
    )


def device_row(view: FhirView, resource: Json) -> DeviceConnections | None:
    """A Device of one of the app's three sources (data-source strava, polar, samsung)."""
    kind = next(
        (
            c.get("code")
            for c in resource.get("type", {}).get("coding", ())
            if c.get("system") == DATA_SOURCE and c.get("code") in DEVICE_TYPES
        ),
        None,
    )
    if kind is None:
        return None
    named = next(
        (
            n.get("name")
            for n in resource.get("deviceName", ())
            if n.get("type") == "user-friendly-name"
        ),
        None,
    )
    return shared.build(
        DeviceConnections,
        id=shared.row_id(view, resource, "DeviceConnections"),
        userId=shared.user_id(view, resource.get("patient")),
        deviceType=kind,
        deviceName=named,
        isActive={"active": True, "inactive": False}.get(str(resource.get("status"))),
    )


def rows(view: FhirView) -> list[Exported]:
    found: list[Exported] = []
    for resource in view.of_type("Goal"):
        if not shared.ours_or_foreign(view, resource, "TherapyGoals"):
            continue
        goal = goal_row(view, resource)
        if goal is not None and resource.get("lifecycleStatus") != "entered-in-error":
            found.append(Exported("TherapyGoals", goal, (view.ref(resource),)))
    for resource in view.of_type("Device"):
        if not shared.ours_or_foreign(view, resource, "DeviceConnections"):
            continue
        device = device_row(view, resource)
        if device is not None:
            found.append(Exported("DeviceConnections", device, (view.ref(resource),)))
    return found


GOALS = Entity(
    name="TherapyGoals",
    model=TherapyGoals,
    to_fhir=_goal,
    primary=("Goal",),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("Goal (therapy-goal profile).identifier"),
        "userId": home("Goal.subject (the Users row's Patient)"),
        "title": home("Goal.description.text"),
        "description": home("Goal.note[0].text"),
        "category": home("Goal.category[0].text"),
        "targetDate": home("Goal.target[0].dueDate (a date: a time of day is not kept)"),
        "progress": home("Goal.extension goal-progress valueInteger (0-100)"),
        "status": home(
            "Goal.lifecycleStatus through ConceptMap heart-recovery-goal-status (null -> proposed)"
        ),
        "createdAt": no_home(BOOKKEEPING),
        "updatedAt": no_home(BOOKKEEPING),
    },
)

DEVICES = Entity(
    name="DeviceConnections",
    model=DeviceConnections,
    to_fhir=_device,
    primary=("Device",),
    foreign_keys={"userId": "Users"},
    secrets=("accessToken", "refreshToken"),
    fields={
        "id": home("Device (wearable-device profile).identifier"),
        "userId": home("Device.patient (the Users row's Patient)"),
        "deviceType": home("Device.type, CodeSystem data-source (strava, polar, samsung)"),
        "deviceName": home("Device.deviceName (user-friendly-name).name"),
        "accessToken": no_home(
            "a secret (OAuth access token): dropped and reported, never in FHIR"
        ),
        "refreshToken": no_home(
            "a secret (OAuth refresh token): dropped and reported, never in FHIR"
        ),
        "tokenExpiry": no_home("the expiry of a secret that is not carried"),
        "isActive": home("Device.status: true active, false inactive"),
        "lastSyncAt": no_home(NO_SYNC_HOME),
        "syncFrequency": no_home(NO_SYNC_HOME),
        "settings": no_home("the app's own device settings, opaque JSON with no FHIR meaning"),
        "createdAt": no_home(BOOKKEEPING),
        "updatedAt": no_home(BOOKKEEPING),
    },
)

_SYNC_REASON = (
    "a sync attempt is the app's integration log; Provenance would have to name the resources "
    "the sync produced, which the row does not record"
)
SYNC_LOGS = Entity(
    name="DeviceSyncLogs",
    model=DeviceSyncLogs,
    no_home=_SYNC_REASON,
    foreign_keys={"deviceConnectionId": "DeviceConnections"},
    fields={name: no_home(_SYNC_REASON) for name in DeviceSyncLogs.model_fields},
)
