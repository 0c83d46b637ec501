"""lab_result <-> DiagnosticReport (lab-report) + one Observation (lab-result) per biomarker.
https://hl7.org/fhir/R4/diagnosticreport.html, https://hl7.org/fhir/R4/observation.html

Each biomarker is an Observation (identity part `biomarker-<index>`): LOINC beside the name
when the name is one the gateway knows (else `code.text` alone, which the profile's extensible
binding allows), the value and unit as sent with the UCUM code where the unit is UCUM,
referenceMin/Max as `referenceRange` low/high, the flag as interpretation H/L/N through
ConceptMap `twin-biomarker-flag`. An Observation claims `lab-result` only when it meets it
(a UCUM unit, a range or a flag, low not above high): the others are plain laboratory Observations, never a
profile claimed falsely. The lab is the report's performer (display), the ordering doctor the
requester of a contained ServiceRequest the report is `basedOn` (R4's report has no orderer).
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.concepts import translate, untranslate
from mappers.apps.medical_twin.codes import (
    FLAG_MAP,
    INTERPRETATION,
    LOINC,
    OBSERVATION_CATEGORY,
    lab_coding,
    profile,
    quantity,
)
from mappers.apps.medical_twin.common import head, instant, patient, present
from mappers.apps.medical_twin.models import Biomarker, LabResult
from mappers.apps.native import fhir_datetime
from mappers.apps.view import concept_text

LABORATORY = {"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"}]}  # fmt: skip
LAB_SECTION = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB", "display": "Laboratory"}]}  # fmt: skip
LAB_REPORT = {"system": LOINC, "code": "11502-2", "display": "Laboratory report"}
ORDER = "order"  # the contained ServiceRequest's id


def to_fhir(row: LabResult, ctx: MappingContext) -> list[Json]:
    observations = [_biomarker(row, ctx, index, b) for index, b in enumerate(row.biomarkers)]
    # lab-report requires a result: a report without biomarkers claims no profile
    profiles = [profile("lab-report")] if observations else []
    report = head("DiagnosticReport", row, ctx, profiles=profiles)
    if row.orderingDoctor:
        report["contained"] = [_order(row, ctx)]
        report["basedOn"] = [{"reference": f"#{ORDER}", "type": "ServiceRequest"}]
    report |= {
        "status": "final",
        "category": [LAB_SECTION],
        "code": {"coding": [LAB_REPORT], "text": row.title},
        "subject": patient(row, ctx),
        "effectiveDateTime": fhir_datetime(row.date),
    }
    report |= present(issued=instant(row.createdAt))
    if row.labName:
        report["performer"] = [{"type": "Organization", "display": row.labName}]
    if observations:
        report["result"] = [{"reference": f"Observation/{o['id']}"} for o in observations]
    if row.notes:
        report["conclusion"] = row.notes
    return [report, *observations]


def _order(row: LabResult, ctx: MappingContext) -> Json:
    return {
        "resourceType": "ServiceRequest",
        "id": ORDER,
        "status": "completed",
        "intent": "order",
        "subject": patient(row, ctx),
        "requester": {"display": row.orderingDoctor},
    }


def _biomarker(row: LabResult, ctx: MappingContext, index: int, marker: Biomarker) -> Json:
    coding = lab_coding(marker.name)
    value = quantity(marker.value, marker.unit)
    bounds = present(
        low=_bound(marker.referenceMin, value), high=_bound(marker.referenceMax, value)
    )
    low, high = marker.referenceMin, marker.referenceMax
    ordered = low is None or high is None or low <= high
    meets = "code" in value and (bounds or marker.flag) and ordered
    found = head(
        "Observation", row, ctx, part=f"biomarker-{index}",
        profiles=[profile("lab-result")] if meets else [],
    )  # fmt: skip
    found |= {
        "status": "final",
        "category": [LABORATORY],
        "code": {**({"coding": [coding]} if coding else {}), "text": marker.name},
        "subject": patient(row, ctx),
        "effectiveDateTime": fhir_datetime(row.date),
        "valueQuantity": value,
    }
    if marker.flag:
        code = translate(FLAG_MAP, marker.flag)
        found["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": code}]}]
    if bounds:
        found["referenceRange"] = [bounds]
    return found


def _bound(limit: float | None, value: Json) -> Json | None:
    if limit is None:
        return None
    return {"value": limit, **{k: v for k, v in value.items() if k != "value"}}


def biomarker(observation: Json) -> Biomarker | None:
    """A biomarker from a laboratory Observation with a quantity; None without one."""
    value = observation.get("valueQuantity") or {}
    name = concept_text(observation.get("code"))
    unit = value.get("unit") or value.get("code")
    if not isinstance(value.get("value"), int | float) or not name or not isinstance(unit, str):
        return None
    ranges = observation.get("referenceRange") or [{}]
    return Biomarker(
        **present(
            name=name,
            value=value["value"],
            unit=unit,
            referenceMin=ranges[0].get("low", {}).get("value"),
            referenceMax=ranges[0].get("high", {}).get("value"),
            flag=_flag(observation),
        )
    )


def _flag(observation: Json) -> str | None:
    for concept in observation.get("interpretation", ()):
        for coding in concept.get("coding", ()):
            if coding.get("system") == INTERPRETATION and isinstance(coding.get("code"), str):
                found = untranslate(FLAG_MAP, coding["code"])
                if found:
                    return found
    return None


def fields(report: Json, results: list[Json]) -> Json:
    """The lab_result fields of a report and its Observations (in the report's order)."""
    order: Json = next((c for c in report.get("contained", ()) if c.get("id") == ORDER), {})
    performer = (report.get("performer") or [{}])[0]
    markers = [b for b in map(biomarker, results) if b is not None]
    return present(
        labName=performer.get("display"),
        orderingDoctor=order.get("requester", {}).get("display"),
        biomarkers=markers,
        notes=report.get("conclusion"),
    )
