"""Errors the gateway raises; each carries its HTTP status and OperationOutcome issue code.

https://hl7.org/fhir/R4/operationoutcome.html — one handler renders them (gateway.http.outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

Severity = Literal["fatal", "error", "warning", "information"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome.issue: what went wrong and, where known, the element path."""

    diagnostics: str
    code: str = "invalid"
    severity: Severity = "error"
    expression: str | None = None
    details_code: str | None = None
    details_system: str | None = None  # None: the R4 operation-outcome code system


class GatewayError(Exception):
    """Base of every error a client can cause; never a 500."""

    status: ClassVar[int] = 500
    issue_code: ClassVar[str] = "exception"

    def __init__(
        self,
        diagnostics: str,
        *,
        expression: str | None = None,
        code: str | None = None,
        issues: list[Issue] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        self.issues = issues or [
            Issue(diagnostics, code=self.issue_code, expression=expression, details_code=code)
        ]


class InvalidRequest(GatewayError):
    status, issue_code = 400, "invalid"


class InvalidSearch(GatewayError):
    status, issue_code = 400, "invalid"


class InvalidResource(GatewayError):
    """The body is not a valid FHIR resource (structure, datatypes, required bindings)."""

    status, issue_code = 400, "invalid"


class UnprocessableResource(GatewayError):
    """Valid structure, but it breaks a FHIR invariant or a rule of this server (422)."""

    status, issue_code = 422, "business-rule"


class NotFound(GatewayError):
    status, issue_code = 404, "not-found"


class Gone(GatewayError):
    status, issue_code = 410, "deleted"


class MethodNotAllowed(GatewayError):
    status, issue_code = 405, "not-supported"


class VersionConflict(GatewayError):
    """Someone else changed the resource between our read and our write."""

    status, issue_code = 409, "conflict"


class PreconditionFailed(GatewayError):
    status, issue_code = 412, "conflict"


class PayloadTooLarge(GatewayError):
    status, issue_code = 413, "too-long"


class NotAcceptable(GatewayError):
    status, issue_code = 406, "not-supported"


class UnsupportedMediaType(GatewayError):
    status, issue_code = 415, "not-supported"


class Forbidden(GatewayError):
    """A valid token whose grant does not cover the interaction (SMART scopes, issue 13)."""

    status, issue_code = 403, "forbidden"
