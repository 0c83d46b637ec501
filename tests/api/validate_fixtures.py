"""Vital signs as the R4 vital signs profiles describe them, for the profile validation tests."""

from __future__ import annotations

from typing import Any

from gateway.jsonio import Json

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SD = "http://hl7.org/fhir/StructureDefinition"
BP, BODY_WEIGHT, VITAL_SIGNS = f"{SD}/bp", f"{SD}/bodyweight", f"{SD}/vitalsigns"
RULES = "http://fhir-gateway.org/fhir/CodeSystem/validation-rule"
CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs"}]}  # fmt: skip


NARRATIVE = {"status": "generated",
             "div": '<div xmlns="http://www.w3.org/1999/xhtml">A vital sign.</div>'}  # fmt: skip


def narrated(resource: Json) -> Json:
    """`resource` with a narrative, which R4's dom-6 asks every resource for (a warning)."""
    return {**resource, "text": NARRATIVE}


def coded(code: str) -> Json:
    return {"coding": [{"system": LOINC, "code": code}]}


def quantity(value: float, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def vital(code: str, *claims: str, **fields: Any) -> Json:
    resource: Json = {
        "resourceType": "Observation",
        "text": NARRATIVE,
        "status": "final",
        "category": [CATEGORY],
        "code": coded(code),
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-03-01T08:00:00Z",
        **fields,
    }
    if claims:
        resource["meta"] = {"profile": list(claims)}
    return resource


def blood_pressure(*claims: str, diastolic: bool = True) -> Json:
    components = [{"code": coded("8480-6"), "valueQuantity": quantity(120, "mm[Hg]")}]
    if diastolic:
        components.append({"code": coded("8462-4"), "valueQuantity": quantity(80, "mm[Hg]")})
    return vital("85354-9", *claims, component=components)


def body_weight(unit: str, *claims: str) -> Json:
    return vital("29463-7", *claims, valueQuantity=quantity(154 if unit == "[lb_av]" else 70, unit))


def rule(issue: Json) -> str | None:
    """The validation-rule code of an issue (the constraint key or profile element id)."""
    codings = issue.get("details", {}).get("coding", [])
    return next((c["code"] for c in codings if c.get("system") == RULES), None)


def errors(outcome: Json) -> list[tuple[str | None, str | None]]:
    """(expression, rule) of each error issue."""
    return [
        ((issue.get("expression") or [None])[0], rule(issue))
        for issue in outcome["issue"]
        if issue["severity"] in ("error", "fatal")
    ]
