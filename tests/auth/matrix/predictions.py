"""What the rule predicts for a request under a grant: one function per kind of endpoint.

The rule (gateway/services/access.py, README "Authorization"): no scope for the interaction on
the type -> 403; a search of any kind answers only what the grant covers (200, perhaps empty);
an instance interaction on a resource outside the grant -> 403; a write whose content falls
outside -> 403, nothing stored. Each function reads the world's facts and the grant's
hand-written rules only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.auth.matrix.grants import GrantRow
from tests.auth.matrix.oracle import Expect
from tests.auth.matrix.world import DELETED, FACTS, MOVED, Facts, facts_of

Predict = Callable[[GrantRow], Expect]


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    method: str
    path: str
    predict: Predict
    params: Any = None
    json: Any = None
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def instance(ref: str, letter: str = "r") -> Predict:
    """read, vread, instance history: 403 without the scope or outside the grant."""
    known = FACTS[ref]

    def predict(grant: GrantRow) -> Expect:
        if grant.permits(letter, known):
            return Expect.of(200, letter="r", exact=frozenset({ref}))
        return Expect.of(403)

    return predict


def _found(grant: GrantRow, where: Callable[[Facts], bool]) -> frozenset[str]:
    return frozenset(f.ref for f in FACTS.values() if where(f) and grant.permits("s", f))


def search(types: tuple[str, ...], where: Callable[[Facts], bool] = lambda f: True) -> Predict:
    """A search naming `types`: 403 when one is not allowed; else exactly the permitted matches."""

    def predict(grant: GrantRow) -> Expect:
        if not all(grant.allows("s", t) for t in types):
            return Expect.of(403)
        exact = _found(grant, lambda f: f.resource_type in types and where(f))
        return Expect.of(200, letter="s", exact=exact)

    return predict


def system(where: Callable[[Facts], bool]) -> Predict:
    """A search naming no type: what the grant covers, never a 403."""
    return lambda grant: Expect.of(200, letter="s", exact=_found(grant, where))


def lab(f: Facts) -> bool:
    return f.category == "laboratory"


def vital(f: Facts) -> bool:
    return f.category == "vital-signs"


def chain(patient: str) -> Predict:
    """`Observation?subject:Patient.name=...`: matches only through a Patient the token may
    search (else the chain would reveal the name of a patient it cannot read)."""

    def predict(grant: GrantRow) -> Expect:
        if not grant.allows("s", "Observation"):
            return Expect.of(403)
        visible = grant.permits("s", FACTS[f"Patient/{patient}"])
        exact = _found(grant, lambda f: f.resource_type == "Observation" and f.owner == patient)
        return Expect.of(200, letter="s", exact=exact if visible else frozenset())

    return predict


def has(category: str) -> Predict:
    """`Patient?_has:Observation:subject:category=...`: patients having such an Observation the
    token may search."""

    def predict(grant: GrantRow) -> Expect:
        if not grant.allows("s", "Patient"):
            return Expect.of(403)
        owners = {
            f.owner for f in FACTS.values()
            if f.resource_type == "Observation" and f.category == category and grant.permits("s", f)
        }  # fmt: skip
        exact = _found(grant, lambda f: f.resource_type == "Patient" and f.owner in owners)
        return Expect.of(200, letter="s", exact=exact)

    return predict


def compartment(patient: str, resource_type: str) -> Predict:
    """`Patient/X/T`: another patient's compartment is an empty searchset, never a 403."""
    return search((resource_type,), lambda f: f.owner == patient)


def everything(patient: str) -> Predict:
    """`Patient/X/$everything`: 200 always (types not allowed skipped); what the grant permits
    of X's compartment must all be there."""

    def predict(grant: GrantRow) -> Expect:
        required = _found(grant, lambda f: f.owner == patient)
        return Expect.of(200, letter="s", required=required)

    return predict


def history(types: tuple[str, ...] | None) -> Predict:
    """Type or system history: 403 for a named type not allowed; else only versions inside the
    grant (each judged by its own content), every current permitted resource among them."""

    def predict(grant: GrantRow) -> Expect:
        if types is not None and not all(grant.allows("s", t) for t in types):
            return Expect.of(403)
        required = _found(grant, lambda f: types is None or f.resource_type in types)
        return Expect.of(200, letter="s", required=required)

    return predict


def moved_history(grant: GrantRow) -> Expect:
    """The history of `moved` (A's, then B's): every version must be inside the grant."""
    versions = (facts_of(MOVED), FACTS["Observation/moved"])
    if all(grant.permits("r", v) for v in versions):
        return Expect.of(200, required=frozenset({"Observation/moved"}))
    return Expect.of(403)


def deleted(ref: str) -> Predict:
    """A deleted resource: 410 only to a token its last content was inside; 403 to any other
    (its existence is the other patient's business)."""
    known = DELETED[ref]
    return lambda grant: Expect.of(410) if grant.permits("r", known) else Expect.of(403)


def page(types: tuple[str, ...]) -> Predict:
    """`_count=1`: one page of the permitted matches, the total counting them all."""

    def predict(grant: GrantRow) -> Expect:
        expect = search(types)(grant)
        return Expect(expect.statuses, letter="s", exact=expect.exact, complete=False)

    return predict


def read_batch(grant: GrantRow) -> Expect:
    """A batch of reads and a search: each entry answered as its own request; the searchset
    nested in the response is judged like any other."""
    return Expect.of(200, letter="r")


def everything_all(grant: GrantRow) -> Expect:
    """`Patient/$everything` (every patient): what the grant permits of each compartment."""
    return Expect.of(200, letter="s", required=_found(grant, lambda f: f.owner is not None))


def validate_type(grant: GrantRow) -> Expect:
    """`$validate` at type level: any of c, u, r on the type."""
    allowed = any(grant.allows(letter, "Observation") for letter in "cur")
    return Expect.of(200) if allowed else Expect.of(403)


def validate_instance(ref: str) -> Predict:
    """`$validate` of a stored resource reads it: 403 outside the grant."""
    known = FACTS[ref]
    return lambda grant: Expect.of(200) if grant.permits("r", known) else Expect.of(403)


def any_token(grant: GrantRow) -> Expect:
    """A valid token, no scope needed (the apps list)."""
    return Expect.of(200)
