"""What the steps of a Bundle pass along: parsed entries, their outcomes, and the error that
names the entry which failed a transaction (https://hl7.org/fhir/R4/http.html#transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus

from gateway.errors import GatewayError, Issue
from gateway.jsonio import Json
from gateway.store.versions import Version
from mappers.outcome import operation_outcome

# The order a transaction processes its entries in, whatever their order (http.html#trules).
ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}


@dataclass(slots=True)
class Entry:
    """One request of the Bundle, parsed; planning fills in `target_id` and `known`."""

    index: int
    method: str
    resource_type: str
    resource_id: str | None = None
    version_id: str | None = None
    criteria: str | None = None
    resource: Json | None = None
    full_url: str | None = None
    if_none_exist: str | None = None
    if_match: int | None = None
    target_id: str | None = None  # the id a POST or PUT will write, chosen before any write
    known: list[str] | None = None  # matches of its ifNoneExist when the Bundle was planned
    url: str = ""


@dataclass(slots=True)
class Outcome:
    """What one entry did: its `response.status` and what the response entry shows."""

    status: str
    version: Version | None = None
    resource: Json | None = None
    outcome: Json | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more `response` elements (etag)

    @classmethod
    def failed(cls, status: int, issues: list[Issue]) -> Outcome:
        """A batch entry that failed on its own: its status and an OperationOutcome."""
        return cls(f"{status} {HTTPStatus(status).phrase}", outcome=operation_outcome(issues))


class EntryFailed(GatewayError):
    """An entry of a transaction failed; the whole Bundle is rejected with its status."""

    def __init__(self, index: int, error: GatewayError) -> None:
        issues = [
            Issue(
                f"Bundle.entry[{index}]: {issue.diagnostics}",
                code=issue.code,
                severity=issue.severity,
                expression=_entry_path(index, issue.expression),
                details_code=issue.details_code,
                details_system=issue.details_system,
            )
            for issue in error.issues
        ]
        super().__init__(issues[0].diagnostics, issues=issues)
        self.status = error.status  # type: ignore[misc]  # the failing entry's own status


def _entry_path(index: int, expression: str | None) -> str:
    """An issue's element path, as a path within the Bundle."""
    entry = f"Bundle.entry[{index}]"
    if not expression:
        return entry
    if expression.startswith(("request.", "resource.", "Bundle.")):
        return expression if expression.startswith("Bundle.") else f"{entry}.{expression}"
    head, _, rest = expression.partition(".")
    if head[:1].isupper():  # `Observation.status` -> `Bundle.entry[3].resource.status`
        return f"{entry}.resource" + (f".{rest}" if rest else "")
    if expression == "resourceType":
        return f"{entry}.resource.resourceType"
    return f"{entry}.request.url"
