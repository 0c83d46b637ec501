"""`progress_metrics` <-> Observation, both ways.

WEIGHT is R4's bodyweight vital sign (LOINC 29463-7) in kilograms: the seed gives no unit, and
NoraHealth's users and sample context are metric (Lagos). Calories burned and consumed are
LOINC 41981-2 and 9052-2 in kcal; the completion rate (`%`) and the workout streak (days) are
`app-score` codes. All but WEIGHT claim personal-metric (the user is the performer).

`value` is text, "number or JSON": a number becomes `valueQuantity` with its exact text
(`72.50` comes back `72.50`); other JSON (e.g. `{"current": 5}`) is kept as `valueString`, which
no personal-metric allows, so that Observation claims no profile. A WEIGHT that is not a number
is refused: a body weight is a quantity.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.jsonio import Json
from mappers.apps.base import Entity, Exported, FhirView, MappingContext, RowProblem, home
from mappers.apps.norahealth.common import (
    LOINC,
    UCUM,
    checked_instant,
    codesystem,
    epoch,
    number,
    number_text,
    patient,
    resource_base,
)
from mappers.apps.norahealth.models import MetricType, ProgressMetric

__all__ = ["ENTITY", "METRICS", "progress_metrics"]


@dataclass(frozen=True, slots=True)
class Metric:
    system: str
    code: str
    display: str
    unit: str
    ucum: str
    profile: str
    category: str | None = None
    most: float = float("inf")


METRICS: dict[MetricType, Metric] = {
    "WEIGHT": Metric(LOINC, "29463-7", "Body weight", "kg", "kg", "bodyweight", "vital-signs"),
    "CALORIES_BURNED": Metric(
        LOINC, "41981-2", "Calories burned", "kcal", "kcal", "personal-metric", "activity"
    ),
    "CALORIES_CONSUMED": Metric(
        LOINC, "9052-2", "Calorie intake total 24 hour", "kcal", "kcal", "personal-metric"
    ),
    "COMPLETION_RATE": Metric(
        codesystem("app-score"),
        "completion-rate",
        "Completion rate",
        "%",
        "%",
        "personal-metric",
        most=100,
    ),
    "STREAK": Metric(
        codesystem("app-score"), "workout-streak", "Workout streak", "days", "d", "personal-metric"
    ),
}
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_TO_KG = {"kg": 1, "g": 0.001, "[lb_av]": 0.45359237}


def to_fhir(row: ProgressMetric, ctx: MappingContext) -> list[Json]:
    metric = METRICS[row.type]
    value = number(row.value)
    if value is None and (row.type == "WEIGHT" or not row.value.strip()):
        raise RowProblem("value", f"a {row.type} value is a number, not `{row.value}`.")
    if value is not None and not 0 <= value <= metric.most:
        raise RowProblem(
            "value", f"a {row.type} value is from 0 to {metric.most}, not {row.value}."
        )
    identity = ctx.identity("progress_metrics", row.id)
    profiles = (metric.profile,) if value is not None else ()
    observation = resource_base("Observation", identity, "", *profiles)
    observation["status"] = "final"
    if metric.category:
        observation["category"] = [{"coding": [{"system": _CATEGORY, "code": metric.category}]}]
    subject = patient(ctx, row.user_id)
    observation.update(
        code={
            "coding": [{"system": metric.system, "code": metric.code, "display": metric.display}]
        },
        subject=subject,
        effectiveDateTime=checked_instant("date", row.date),
        issued=checked_instant("created_at", row.created_at),
        performer=[subject],
    )
    if value is None:
        observation["valueString"] = row.value
    else:
        observation["valueQuantity"] = {
            "value": value,
            "unit": metric.unit,
            "system": UCUM,
            "code": metric.ucum,
        }
    return [observation]


def progress_metrics(view: FhirView, user_id: str) -> list[Exported]:
    """The view's metrics: NoraHealth's own, and an EHR's body weight and calories."""
    rows = []
    for observation in view.of_type("Observation"):
        own = view.native_id(observation, "progress_metrics")
        kind = _kind(observation)
        if kind is None or (own is None and _is_ours(observation)):
            continue
        value = _value(observation, kind, own is not None)
        date = epoch(observation.get("effectiveDateTime"))
        if value is None or date is None:
            continue
        row = ProgressMetric(
            id=own or observation["id"],
            user_id=user_id,
            type=kind,
            value=value,
            date=date,
            created_at=epoch(observation.get("issued")) or date,
        )
        rows.append(Exported("progress_metrics", row, (view.ref(observation),)))
    return rows


def _is_ours(resource: Json) -> bool:
    return any("/norahealth/" in str(i.get("system", "")) for i in resource.get("identifier", ()))


def _kind(observation: Json) -> MetricType | None:
    for coding in observation.get("code", {}).get("coding", ()):
        for kind, metric in METRICS.items():
            if coding.get("system") == metric.system and coding.get("code") == metric.code:
                return kind
    return None


def _value(observation: Json, kind: MetricType, own: bool) -> str | None:
    if "valueString" in observation and own:
        return str(observation["valueString"])
    quantity = observation.get("valueQuantity", {})
    value = quantity.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    unit = quantity.get("code")
    if own or unit == METRICS[kind].ucum:
        return number_text(value)
    if kind == "WEIGHT" and unit in _TO_KG:
        return f"{value * _TO_KG[unit]:.2f}"
    return None


ENTITY = Entity(
    name="progress_metrics",
    model=ProgressMetric,
    fields={
        "id": home("Observation.identifier"),
        "user_id": home("Observation.subject and performer"),
        "type": home(
            "Observation.code: WEIGHT LOINC 29463-7 (bodyweight profile), CALORIES_BURNED LOINC "
            "41981-2, CALORIES_CONSUMED LOINC 9052-2, COMPLETION_RATE app-score#completion-rate, "
            "STREAK app-score#workout-streak (personal-metric profile)"
        ),
        "value": home(
            "Observation.valueQuantity (exact text; kg, kcal, %, d), or valueString for JSON that is not a number"
        ),
        "date": home("Observation.effectiveDateTime"),
        "created_at": home("Observation.issued"),
    },
    to_fhir=to_fhir,
    primary=("Observation",),
    foreign_keys={"user_id": "users"},
)
