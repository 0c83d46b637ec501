"""Sleep, hydration and daily scores -> Observations (sleep-log, hydration-log, personal-metric).

SleepLogs: the hours slept as the value, bedtime to wake time as the period, quality (1-5) and
interruptions as components; the row's own `sleepDate` is the effective date when it has no
times, else a component whose code is text only (no code system names "date of sleep").
DailyScores: one personal-metric Observation per score present, code from `app-score`.
https://hl7.org/fhir/R4/observation.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, home, no_home
from mappers.apps.heart_recovery.tracking import shared
from mappers.apps.heart_recovery.tracking.models import DailyScores, HydrationLogs, SleepLogs
from mappers.apps.native import fhir_datetime

BOOKKEEPING = "the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"
SLEEP_DATE = "Date of sleep"
SCORES = (
    ("overallScore", "daily-score", "Daily health score"),
    ("exerciseScore", "exercise-score", "Exercise score"),
    ("nutritionScore", "nutrition-score", "Nutrition score"),
    ("sleepScore", "sleep-score", "Sleep component score"),
    ("medicationScore", "medication-score", "Medication adherence score"),
    ("vitalsScore", "vitals-score", "Vitals score"),
)
"""(column, app-score code, display): the DailyScores columns, each its own Observation."""


def _observation(
    ctx: MappingContext, entity: str, row_id: int, part: str, profile: str, user_id: int
) -> Json:
    resource = shared.skeleton(
        "Observation", ctx.identity(entity, row_id), part, shared.profile(profile)
    )
    resource["status"] = "final"
    resource["subject"] = shared.patient_ref(ctx, user_id)
    return resource


def _sleep(row: SleepLogs, ctx: MappingContext) -> list[Json]:
    shared.within("quality", row.quality, 1, 5)
    resource = _observation(ctx, "SleepLogs", row.id, "", "sleep-log", row.userId)
    resource["code"] = shared.concept(shared.LOINC, "93832-4", "Sleep duration")
    components: list[Json] = []
    if row.bedtime is None and row.wakeTime is None:
        resource["effectiveDateTime"] = fhir_datetime(row.sleepDate)
    else:
        period: Json = {}
        shared.put(period, "start", row.bedtime and fhir_datetime(row.bedtime))
        shared.put(period, "end", row.wakeTime and fhir_datetime(row.wakeTime))
        resource["effectivePeriod"] = period
        components.append(
            {"code": {"text": SLEEP_DATE}, "valueDateTime": fhir_datetime(row.sleepDate)}
        )
    shared.issued(resource, row.createdAt)
    if row.totalHours is not None:
        resource["valueQuantity"] = shared.quantity(row.totalHours, "h", "h")
    if row.quality is not None:
        code = shared.concept(shared.APP_SCORE, "sleep-quality", "Sleep quality rating")
        components.append({"code": code, "valueInteger": row.quality})
    if row.interruptions is not None:
        code = shared.concept(shared.WEARABLE_METRIC, "sleep-interruptions", "Sleep interruptions")
        components.append({"code": code, "valueInteger": row.interruptions})
    shared.put(resource, "component", components or None)
    shared.note(resource, row.notes)
    return [resource]


def _hydration(row: HydrationLogs, ctx: MappingContext) -> list[Json]:
    shared.within("amountOz", row.amountOz, 0)
    resource = _observation(ctx, "HydrationLogs", row.id, "", "hydration-log", row.userId)
    resource["code"] = shared.concept(shared.WEARABLE_METRIC, "water-intake", "Water intake")
    resource["effectiveDateTime"] = fhir_datetime(row.logDate)
    shared.issued(resource, row.createdAt)
    resource["valueQuantity"] = shared.quantity(row.amountOz, "fl oz", "[foz_us]")
    if row.goalOz is not None:
        code = shared.concept(shared.WEARABLE_METRIC, "water-intake-goal", "Water intake goal")
        goal = shared.quantity(row.goalOz, "fl oz", "[foz_us]")
        resource["component"] = [{"code": code, "valueQuantity": goal}]
    shared.note(resource, row.notes)
    return [resource]


def _scores(row: DailyScores, ctx: MappingContext) -> list[Json]:
    made = []
    for column, code, display in SCORES:
        value = getattr(row, column)
        if value is None:
            continue
        resource = _observation(ctx, "DailyScores", row.id, code, "personal-metric", row.userId)
        resource["code"] = shared.concept(shared.APP_SCORE, code, display)
        resource["effectiveDateTime"] = fhir_datetime(row.date)
        shared.issued(resource, row.createdAt)
        resource["performer"] = [resource["subject"]]
        resource["valueInteger"] = value
        shared.note(resource, row.notes)
        made.append(resource)
    return made


SLEEP = Entity(
    name="SleepLogs",
    model=SleepLogs,
    to_fhir=_sleep,
    primary=("Observation",),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("Observation (sleep-log profile).identifier"),
        "userId": home("Observation.subject (the Users row's Patient)"),
        "sleepDate": home(
            "Observation.effectiveDateTime; with a bedtime or wake time, a component `Date of sleep` valueDateTime"
        ),
        "bedtime": home("Observation.effectivePeriod.start"),
        "wakeTime": home("Observation.effectivePeriod.end"),
        "totalHours": home("Observation.valueQuantity, LOINC 93832-4, h"),
        "quality": home("Observation.component app-score#sleep-quality valueInteger (1-5)"),
        "interruptions": home(
            "Observation.component wearable-metric#sleep-interruptions valueInteger"
        ),
        "notes": home("Observation.note[0].text"),
        "createdAt": home("Observation.issued"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)

HYDRATION = Entity(
    name="HydrationLogs",
    model=HydrationLogs,
    to_fhir=_hydration,
    primary=("Observation",),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("Observation (hydration-log profile).identifier"),
        "userId": home("Observation.subject (the Users row's Patient)"),
        "logDate": home("Observation.effectiveDateTime"),
        "amountOz": home("Observation.valueQuantity, wearable-metric#water-intake, [foz_us]"),
        "goalOz": home(
            "Observation.component wearable-metric#water-intake-goal valueQuantity, [foz_us]"
        ),
        "notes": home("Observation.note[0].text"),
        "createdAt": home("Observation.issued"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)


def _score_home(code: str) -> str:
    return f"Observation (personal-metric profile) valueInteger, app-score#{code}"


SCORES_ENTITY = Entity(
    name="DailyScores",
    model=DailyScores,
    to_fhir=_scores,
    primary=(),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("Observation.identifier (the row's identifier on each score's Observation)"),
        "userId": home("Observation.subject and performer (the Users row's Patient)"),
        "date": home("Observation.effectiveDateTime of each score"),
        **{column: home(_score_home(code)) for column, code, _ in SCORES},
        "notes": home("Observation.note[0].text of each score"),
        "createdAt": home("Observation.issued of each score"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)
