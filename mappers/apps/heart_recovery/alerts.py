"""`Alerts` -> Flag: the title is the flag's code text, the message its narrative (status
`additional`: more than the structured data says), severity R4's core `flag-priority`
extension through ConceptMap heart-recovery-alert-severity plus the app's own code (critical
and high are both PH). https://hl7.org/fhir/R4/flag.html
"""

from __future__ import annotations

import html
import re

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, home, no_home
from mappers.apps.concepts import translate
from mappers.apps.heart_recovery.common import patient_ref
from mappers.apps.heart_recovery.fhir import BOOKKEEPING, compact, first
from mappers.apps.heart_recovery.models import Alert
from mappers.apps.heart_recovery.users import user_id
from mappers.apps.native import fhir_datetime
from mappers.apps.view import Exported, FhirView
from mappers.apps.view import concept_text as text_of

__all__ = ["ENTITY", "rows"]

SEVERITY_MAP = "http://fhir-gateway.org/fhir/ConceptMap/heart-recovery-alert-severity"
SEVERITY = "http://fhir-gateway.org/fhir/CodeSystem/heart-recovery-alert-severity"
PRIORITY = "http://hl7.org/fhir/StructureDefinition/flag-priority"
_DIV = re.compile(r'<div xmlns="http://www.w3.org/1999/xhtml"><p>(.*)</p></div>', re.DOTALL)


def to_fhir(row: Alert, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Alerts", row.id)
    priority = None
    if row.severity:
        priority = {"url": PRIORITY, "valueCodeableConcept": {"coding": [
            {"system": "http://hl7.org/fhir/flag-priority-code", "code": translate(SEVERITY_MAP, row.severity)},
            {"system": SEVERITY, "code": row.severity}]}}  # fmt: skip
    div = (
        f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{html.escape(row.message)}</p></div>'
        if row.message
        else None
    )
    return [compact({
        "resourceType": "Flag",
        "id": identity.resource_id(),
        "identifier": [identity.identifier()],
        "text": {"status": "additional", "div": div} if div else None,
        "extension": [priority],
        "status": "inactive" if row.isResolved else "active",
        "category": [{"text": row.type}],
        "code": {"text": row.title},
        "subject": patient_ref(ctx, row.userId),
        "period": {"start": _time(row.createdAt), "end": _time(row.resolvedAt)},
    })]  # fmt: skip


def _time(instant: str | None) -> str | None:
    return fhir_datetime(instant) if instant else None


def rows(view: FhirView) -> list[Exported]:
    out: list[Exported] = []
    for flag in view.of_type("Flag"):
        native = view.native_id(flag, "Alerts")
        if native is None:
            continue
        priority = first(flag.get("extension", ()), url=PRIORITY) or {}
        coding = first(priority.get("valueCodeableConcept", {}).get("coding", ()), system=SEVERITY)
        match = _DIV.fullmatch(flag.get("text", {}).get("div", ""))
        period = flag.get("period", {})
        row = Alert(
            id=int(native),
            userId=user_id(view, view.get(flag.get("subject")) or view.patient),
            type=text_of(next(iter(flag.get("category", ())), None)) or "",
            severity=coding["code"] if coding else None,
            title=text_of(flag.get("code")) or "",
            message=html.unescape(match.group(1)) if match else None,
            isResolved=flag.get("status") == "inactive",
            resolvedAt=period.get("end"),
            createdAt=period.get("start"),
        )
        out.append(Exported("Alerts", row, (view.ref(flag),)))
    return out


ENTITY = Entity(
    name="Alerts",
    model=Alert,
    to_fhir=to_fhir,
    primary=("Flag",),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("Flag.identifier (…/Alerts)"),
        "userId": home("Flag.subject"),
        "type": home("Flag.category.text"),
        "severity": home(
            "Flag.extension flag-priority (ConceptMap heart-recovery-alert-severity), with the "
            "app's code (CodeSystem heart-recovery-alert-severity)"
        ),
        "title": home("Flag.code.text"),
        "message": home("Flag.text (narrative, status additional)"),
        "isResolved": home("Flag.status (inactive when resolved, else active)"),
        "resolvedAt": home("Flag.period.end"),
        "notified": no_home("whether the app has sent its email/SMS: delivery bookkeeping"),
        "createdAt": home("Flag.period.start"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)
