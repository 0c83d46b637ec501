"""intervention <-> CarePlan. https://hl7.org/fhir/R4/careplan.html

A lifestyle change the user makes is a plan of care they follow: the title is `CarePlan.title`,
the category a coding of the gateway's `intervention-category` code system (whose codes are the
app's, verbatim, so no ConceptMap is needed), the intervention itself the one activity
(`activity.detail.code.text`), the protocol the `description`, startDate/endDate the `period`
(status `completed` once it has an end, else `active`), the event date `created`.
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.medical_twin.codes import INTERVENTION_CATEGORY
from mappers.apps.medical_twin.common import first_note, head, note, patient, present
from mappers.apps.medical_twin.models import Intervention
from mappers.apps.native import fhir_datetime
from mappers.apps.view import concept_text


def to_fhir(row: Intervention, ctx: MappingContext) -> list[Json]:
    plan = head("CarePlan", row, ctx, profiles=[])
    done = row.endDate is not None
    return [
        plan
        | {
            "status": "completed" if done else "active",
            "intent": "plan",
            "category": [{"coding": [{"system": INTERVENTION_CATEGORY, "code": row.category}]}],
            "title": row.title,
            **present(description=row.protocol),
            "subject": patient(row, ctx),
            "period": present(
                start=fhir_datetime(row.startDate),
                end=row.endDate and fhir_datetime(row.endDate),
            ),
            "created": fhir_datetime(row.date),
            "activity": [
                {
                    "detail": {
                        "status": "completed" if done else "in-progress",
                        "code": {"text": row.interventionName},
                    }
                }
            ],
            **note(row.notes),
        }
    ]


def fields(plan: Json) -> Json:
    """The intervention fields of the app's own CarePlan."""
    category = next(
        (
            c["code"]
            for concept in plan.get("category", ())
            for c in concept.get("coding", ())
            if c.get("system") == INTERVENTION_CATEGORY
        ),
        None,
    )
    activity = (plan.get("activity") or [{}])[0]
    period = plan.get("period", {})
    return present(
        title=plan.get("title"),
        interventionName=concept_text(activity.get("detail", {}).get("code")),
        category=category,
        startDate=period.get("start"),
        endDate=period.get("end"),
        protocol=plan.get("description"),
        notes=first_note(plan),
        date=plan.get("created"),
    )
