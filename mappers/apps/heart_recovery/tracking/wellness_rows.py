"""FHIR back to SleepLogs, HydrationLogs and DailyScores.

A foreign sleep-log or hydration-log Observation (a wearable's, another app's) becomes a row
too when it has what the row requires: a day and, for hydration, an amount in US fluid ounces
(the column's unit; mL and cups are left out rather than converted).
"""

from __future__ import annotations

from typing import Any

from gateway.jsonio import Json
from mappers.apps.base import Exported, FhirView
from mappers.apps.heart_recovery.tracking import shared
from mappers.apps.heart_recovery.tracking.models import DailyScores, HydrationLogs, SleepLogs
from mappers.apps.heart_recovery.tracking.wellness import SCORES, SLEEP_DATE


def _sleep(view: FhirView, resource: Json) -> SleepLogs | None:
    period = resource.get("effectivePeriod", {})
    dated = next((c.get("valueDateTime") for c in resource.get("component", ())
                  if c.get("code") == {"text": SLEEP_DATE}), None)  # fmt: skip
    sleep_date = dated or resource.get("effectiveDateTime") or period.get("end")
    if sleep_date is None:
        return None
    quality = shared.component(resource, shared.APP_SCORE, "sleep-quality")
    interruptions = shared.component(resource, shared.WEARABLE_METRIC, "sleep-interruptions")
    own = shared.own_id(view, resource, "SleepLogs") is not None
    return shared.build(
        SleepLogs,
        id=shared.row_id(view, resource, "SleepLogs"),
        userId=shared.user_id(view, resource.get("subject")),
        sleepDate=sleep_date,
        bedtime=period.get("start"),
        wakeTime=period.get("end"),
        totalHours=shared.quantity_value(resource, "h"),
        quality=quality.get("valueInteger") if quality else None,
        interruptions=interruptions.get("valueInteger") if interruptions else None,
        notes=shared.note_text(resource),
        createdAt=resource.get("issued") if own else None,
    )


def _hydration(view: FhirView, resource: Json) -> HydrationLogs | None:
    amount = shared.quantity_value(resource, "[foz_us]")
    goal = shared.component(resource, shared.WEARABLE_METRIC, "water-intake-goal")
    own = shared.own_id(view, resource, "HydrationLogs") is not None
    return shared.build(
        HydrationLogs,
        id=shared.row_id(view, resource, "HydrationLogs"),
        userId=shared.user_id(view, resource.get("subject")),
        logDate=shared.effective(resource),
        amountOz=amount,
        goalOz=shared.quantity_value(goal, "[foz_us]"),
        notes=shared.note_text(resource),
        createdAt=resource.get("issued") if own else None,
    )


def _scores(view: FhirView) -> list[Exported]:
    """Score Observations grouped by the row they came from (this app's own only)."""
    groups: dict[str, list[Json]] = {}
    for resource in view.of_type("Observation"):
        native_id = view.native_id(resource, "DailyScores")
        if native_id is not None:
            groups.setdefault(native_id, []).append(resource)
    found = []
    for group in groups.values():
        first = group[0]
        fields: dict[str, Any] = {}
        for column, code, _ in SCORES:
            scored = next(
                (r for r in group if shared.has_code(r.get("code"), shared.APP_SCORE, code)), None
            )
            if scored is not None:
                fields[column] = scored.get("valueInteger")
        row = shared.build(
            DailyScores,
            id=shared.row_id(view, first, "DailyScores"),
            userId=shared.user_id(view, first.get("subject")),
            date=shared.effective(first),
            notes=shared.note_text(first),
            createdAt=first.get("issued"),
            **fields,
        )  # fmt: skip
        if row is not None:
            found.append(Exported("DailyScores", row, tuple(view.ref(r) for r in group)))
    return found


def rows(view: FhirView) -> list[Exported]:
    found = _scores(view)
    for resource in view.of_type("Observation"):
        if not shared.active(resource):
            continue
        code = resource.get("code")
        if shared.has_code(code, shared.LOINC, "93832-4") and shared.ours_or_foreign(
            view, resource, "SleepLogs"
        ):
            sleep = _sleep(view, resource)
            if sleep is not None:
                found.append(Exported("SleepLogs", sleep, (view.ref(resource),)))
        elif shared.has_code(
            code, shared.WEARABLE_METRIC, "water-intake"
        ) and shared.ours_or_foreign(view, resource, "HydrationLogs"):
            hydration = _hydration(view, resource)
            if hydration is not None:
                found.append(Exported("HydrationLogs", hydration, (view.ref(resource),)))
    return found
