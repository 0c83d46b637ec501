"""What an import did: counts per type and outcome, and each failure where it was and why.

One recording path for every target (the direct import, its dry run and the HTTP target in
gateway.cli.remote): an item that fails is counted, numbered and handed to `on_failure` (the
CLI's `--errors` file) the same way, whoever found the fault.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import Issue
from gateway.jsonio import Json
from gateway.services.imports.readers import NO_RESOURCE, Item
from mappers.outcome import operation_outcome

OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")
UNKNOWN = "unknown"  # the type counted for an item whose type cannot be told


@dataclass(slots=True)
class Failure:
    """One item that could not be imported: where it was, and why."""

    source: str
    position: str
    outcome: Json

    def as_json(self) -> Json:
        return {"file": self.source, "position": self.position, "outcome": self.outcome}


def _ignore(failure: Failure) -> None:
    """No one to tell: the failure is still counted."""


@dataclass(slots=True)
class Report:
    on_failure: Callable[[Failure], None] = _ignore
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    failures: int = 0

    def count(self, resource_type: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(resource_type, Counter())[outcome] += n

    def fail(self, item: Item, resource_type: str, *issues: Issue) -> None:
        self.record(item, resource_type, operation_outcome(issues))

    def record(self, item: Item, resource_type: str, outcome: Json) -> None:
        """A failed item, with the OperationOutcome that says why (as a server answered it)."""
        self.count(resource_type, "failed")
        self.failures += 1
        self.on_failure(Failure(str(item.source), item.position, outcome))

    def unreadable(self, item: Item) -> None:
        """An item without a resource: skipped when it only requests or answers, else failed."""
        skipped = _skipped_type(item)
        if skipped is not None:
            self.count(skipped, "skipped")
        else:
            self.fail(item, UNKNOWN, Issue(item.error or "Unreadable item.", code="structure"))

    @property
    def resources(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    @property
    def ok(self) -> bool:
        return self.failures == 0


def _skipped_type(item: Item) -> str | None:
    """The type an item without a resource is skipped under, or None if it failed. An import
    adds data: a Bundle entry that only requests (GET, HEAD, DELETE) or only answers (the
    entries of a `*-response` Bundle) carries none, so it is skipped, not run."""
    if item.resource is not None or item.error != NO_RESOURCE:
        return None
    request, response = item.request or {}, item.response or {}
    if str(request.get("method", "")).upper() in ("GET", "HEAD", "DELETE"):
        return _named_type(request.get("url"))
    if (item.bundle_type or "").endswith("-response"):
        return _named_type(response.get("location"))
    return None


def _named_type(url: Any) -> str:
    """`Patient` of `Patient/1`, `/Patient?name=x` or `https://host/fhir/Patient/1/_history/2`."""
    path = str(url or "").split("?")[0].strip("/").split("/")
    types = [part for part in path if part[:1].isupper() and part.isalpha()]
    return types[0] if types else UNKNOWN
