"""The oracle: what a response may contain under a grant, judged from the world's facts.

Every resource a response carries (the body, a Bundle's entries, included ones, the Bundles
nested in a batch response, NDJSON lines) must be one the grant permits for the interaction it
is returned under: a search match under `s`, an included resource or a read under `r`. Where a
case knows the exact answer of a search (`exact`), a match beyond it is a leak too (a chain or
`_has` revealing what the token may not search), and one missing from it is wrong content.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.auth.matrix.grants import GrantRow
from tests.auth.matrix.world import DELETED, FACTS, Facts, Json, facts_of

NOT_DATA = frozenset({"OperationOutcome", "CapabilityStatement", "Bundle", "Parameters"})


@dataclass(frozen=True, slots=True)
class Expect:
    """What the rule predicts for one (grant, endpoint)."""

    statuses: frozenset[int]
    letter: str = "r"  # the interaction the main resources are returned under
    exact: frozenset[str] | None = None  # the matches, when the case knows them all
    required: frozenset[str] = frozenset()  # must be among the returned resources
    complete: bool = True  # False: a page of `exact` (with `_count`), its total still exact

    @classmethod
    def of(cls, *statuses: int, **kwargs: object) -> Expect:
        return cls(frozenset(statuses), **kwargs)  # type: ignore[arg-type]


@dataclass
class Verdict:
    leaks: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"LEAK {leak}" for leak in self.leaks] + [f"WRONG {w}" for w in self.wrong]


def returned(document: Json, letter: str) -> Iterator[tuple[Json, str]]:
    """(resource, interaction it is returned under) for every resource in a response body."""
    resource_type = document.get("resourceType")
    if resource_type == "Bundle":
        for entry in document.get("entry", []):
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            mode = (entry.get("search") or {}).get("mode")
            yield from returned(resource, "r" if mode == "include" else letter)
    elif resource_type == "Parameters":
        for parameter in document.get("parameter", []):
            if isinstance(parameter.get("resource"), dict):
                yield from returned(parameter["resource"], letter)
    elif resource_type == "OperationOutcome":
        return
    elif isinstance(resource_type, str):
        yield document, letter


def facts(resource: Json) -> Facts:
    """The oracle's knowledge of a returned resource, from its content (a version of `moved`
    is A's or B's by its own subject)."""
    return facts_of(resource)


def totals(document: Json) -> Iterator[int]:
    """The `total` of every searchset in a response (nested ones of a batch too)."""
    if document.get("resourceType") != "Bundle":
        return
    if document.get("type") == "searchset" and isinstance(document.get("total"), int):
        yield document["total"]
    for entry in document.get("entry", []):
        if isinstance(entry.get("resource"), dict):
            yield from totals(entry["resource"])


def deletions(document: Json) -> Iterator[str]:
    """The refs a history Bundle names as deleted (entries without a resource)."""
    if document.get("resourceType") != "Bundle":
        return
    for entry in document.get("entry", []):
        request = entry.get("request") or {}
        if "resource" not in entry and request.get("method") == "DELETE":
            yield "/".join(str(request.get("url", "")).split("/")[-2:])


def judge(grant: GrantRow, expect: Expect, status: int, documents: list[Json]) -> Verdict:
    """Leaks and wrong answers of one response (`documents`: its JSON body or NDJSON lines)."""
    verdict = Verdict()
    if status not in expect.statuses:
        verdict.wrong.append(f"status {status}, expected {sorted(expect.statuses)}")
    matches: set[str] = set()
    seen: set[str] = set()
    for document in documents:
        for resource, letter in returned(document, expect.letter):
            known = facts(resource)
            seen.add(known.ref)
            if letter == expect.letter:
                matches.add(known.ref)
            if not grant.permits(letter, known):
                verdict.leaks.append(f"{known.ref} returned under `{letter}`")
    for document in documents:
        for ref in deletions(document):
            gone = DELETED.get(ref) or FACTS.get(ref)
            if gone is None or not grant.permits(expect.letter, gone):
                verdict.leaks.append(f"{ref} named as deleted")
    if expect.exact is not None and status < 300:
        for ref in sorted(matches - expect.exact):
            if not any(ref in leak for leak in verdict.leaks):
                verdict.leaks.append(f"{ref} matched though the grant cannot find it")
        for ref in sorted(expect.exact - matches) if expect.complete else ():
            verdict.wrong.append(f"{ref} missing")
        for total in (t for d in documents for t in totals(d)):
            if total > len(expect.exact):
                verdict.leaks.append(
                    f"total {total} counts more than the {len(expect.exact)} visible"
                )
            elif total < len(expect.exact):
                verdict.wrong.append(f"total {total}, expected {len(expect.exact)}")
    if status < 300:
        for ref in sorted(expect.required - seen):
            verdict.wrong.append(f"{ref} missing")
    return verdict
