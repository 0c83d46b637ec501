"""Conditional references shared by a batch's entries (https://hl7.org/fhir/R4/http.html#brules).

A batch's entries are independent, so each must resolve `Patient?identifier=x|1` as if it ran
alone. Resolving it once per Bundle is the same answer as long as nothing written since could
change it: an entry that writes (creates, updates or deletes, conditionally or not) a resource
of type T forgets every cached reference that searches T, and every reference whose criteria
chain or `_has` into other types, which any write may change. A batch of Observations naming
one Patient therefore searches once; a batch that creates that Patient midway searches again
after it. Forgetting on every write entry, whether or not it succeeded, keeps the rule simple
and never stale.

Authorization: a conditional reference resolves only among what the request's grant may
search (gateway.services.access `current()`), and one request has one grant for all its
entries, so an answer cached for one entry is the answer every other entry would get. The
cache lives for one request and is never shared between requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl

from gateway.search.reference import local_form

# Methods whose entry may change what a search of its type matches.
WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


@dataclass(slots=True)
class BatchReferences:
    """Resolved conditional references of one batch: reference as written -> `Type/id`."""

    base_urls: tuple[str, ...]
    resolved: dict[str, str] = field(default_factory=dict)

    def written(self, method: str, resource_type: str) -> None:
        """After an entry ran: forget what its write may have changed."""
        if method not in WRITES or not self.resolved:
            return
        stale = [
            reference
            for reference in self.resolved
            if _depends_on(local_form(reference, self.base_urls), resource_type)
        ]
        for reference in stale:
            del self.resolved[reference]


def _depends_on(reference: str, written_type: str) -> bool:
    searched, crosses = dependency(reference)
    return crosses or searched == written_type


@lru_cache(maxsize=1024)
def dependency(reference: str) -> tuple[str, bool]:
    """The type a conditional reference searches, and whether its criteria reach other types
    (a chain `subject.name` or a reverse chain `_has:`). `import --url` orders its batches by
    the same rule (gateway.cli.in_flight)."""
    searched, _, criteria = reference.partition("?")
    names = [name for name, _ in parse_qsl(criteria, keep_blank_values=True)]
    return searched, any("." in name or name.startswith("_has") for name in names)
