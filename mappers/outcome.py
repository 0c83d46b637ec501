"""Issues -> OperationOutcome JSON (https://hl7.org/fhir/R4/operationoutcome.html)."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.errors import Issue
from gateway.jsonio import Json

OPERATION_OUTCOME_CODES = "http://terminology.hl7.org/CodeSystem/operation-outcome"
# The gateway's own codes where R4's have none (fhir_profiles/source/CodeSystem-outcome.json).
GATEWAY_OUTCOMES = "http://fhir-gateway.org/fhir/CodeSystem/outcome"


def operation_outcome(issues: Iterable[Issue]) -> Json:
    rendered = []
    for issue in issues:
        entry: Json = {
            "severity": issue.severity,
            "code": issue.code,
            "diagnostics": issue.diagnostics,
        }
        if issue.details_code:
            entry["details"] = {
                "coding": [
                    {
                        "system": issue.details_system or OPERATION_OUTCOME_CODES,
                        "code": issue.details_code,
                    }
                ]
            }
        if issue.expression:
            entry["expression"] = [issue.expression]
        rendered.append(entry)
    return {"resourceType": "OperationOutcome", "issue": rendered}


def information(text: str) -> Json:
    return operation_outcome([Issue(text, code="informational", severity="information")])
