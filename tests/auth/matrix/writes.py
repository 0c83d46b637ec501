"""Write cases: create, update, delete, their conditional forms, transaction and batch.

Each grant writes on its own targets (`targets(n)`, loaded with the world), so no case depends
on another grant's. Besides the status, each case checks what is stored afterwards with the
admin token: a refused write must leave nothing behind (a transaction: none of its entries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient

from tests.auth.matrix.grants import ADMIN, GrantRow
from tests.auth.matrix.harness import bearer
from tests.auth.matrix.oracle import Expect
from tests.auth.matrix.world import (
    FACTS,
    MARK_SYSTEM,
    MRN_SYSTEM,
    A,
    B,
    Facts,
    Json,
    facts_of,
    observation,
)

LAB, VITAL = "laboratory", "vital-signs"
NEW_VALUE = 99  # what an update writes; the world's Observations hold 5


def targets(n: int) -> list[Json]:
    """Grant n's own Observations: to update, move, delete, and match conditionally."""
    made = []
    for kind in ("u", "m", "d", "cu", "cd", "cc", "q"):
        for patient, suffix in ((A, "a"), (B, "b")):
            name = f"{kind}{n}{suffix}"
            made.append(observation(name, patient, LAB, mark=name))
    return made


def new(patient: str, category: str, mark: str, resource_id: str | None = None) -> Json:
    resource = observation(resource_id, patient, category, mark=mark)
    resource["valueQuantity"]["value"] = NEW_VALUE
    return resource


def fact(patient: str, category: str = LAB) -> Facts:
    return facts_of(observation("x", patient, category))


@dataclass(frozen=True, slots=True)
class Write:
    """One write request of grant n, and what must be stored after it."""

    id: str
    method: str
    path: Callable[[int], str]
    predict: Callable[[GrantRow], Expect]
    json: Callable[[int], Any] = lambda n: None
    headers: Callable[[int], dict[str, str]] = lambda n: {}
    # (mark, stored when the write succeeds, stored when it is refused)
    marks: Callable[[int], list[tuple[str, bool, bool]]] = lambda n: []
    # (id, NEW_VALUE when it succeeds) for updates; (id, gone when it succeeds) for deletes
    changed: Callable[[int], list[str]] = lambda n: []
    deleted: Callable[[int], list[str]] = lambda n: []
    batch: Callable[[GrantRow], list[int]] | None = None  # expected status of each entry
    extra: dict[str, Any] = field(default_factory=dict)


def may(grant: GrantRow, *checks: tuple[str, Facts]) -> bool:
    return all(grant.permits(letter, facts) for letter, facts in checks)


def predict(ok: int, *checks: tuple[str, Facts]) -> Callable[[GrantRow], Expect]:
    """`ok` when the grant permits every (letter, resource), else 403; the resource returned
    by a successful write is judged under the write's letter."""

    def answer(grant: GrantRow) -> Expect:
        if may(grant, *checks):
            return Expect(frozenset({ok} if ok else {200, 204}), letter=checks[0][0])
        return Expect.of(403)

    return answer


def conditional_reference(grant: GrantRow) -> Expect:
    """An Observation whose subject is `Patient?identifier=<B's>`: the reference resolves only
    among what the token may search; unresolved, the transaction's no-match answer."""
    if not grant.allows("c", "Observation"):
        return Expect.of(403)
    if not grant.permits("s", FACTS[f"Patient/{B}"]):
        return Expect.of(400, 422)
    return predict(200, ("c", fact(B)))(grant)


def by_identifier(n: int) -> Json:
    resource = new(B, LAB, f"r{n}b")
    resource["subject"] = {"reference": f"Patient?identifier={MRN_SYSTEM}|{B}"}
    return bundle("transaction", entry(resource))


def entry(resource: Json, method: str = "POST", url: str = "Observation") -> Json:
    return {"resource": resource, "request": {"method": method, "url": url}}


def bundle(kind: str, *entries: Json) -> Json:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def _condition(mark: str) -> str:
    return f"identifier={MARK_SYSTEM}|{mark}"


WRITES: tuple[Write, ...] = (
    Write("create A lab", "POST", lambda n: "/Observation", predict(201, ("c", fact(A))),
          json=lambda n: new(A, LAB, f"c{n}a"), marks=lambda n: [(f"c{n}a", True, False)]),
    Write("create B lab", "POST", lambda n: "/Observation", predict(201, ("c", fact(B))),
          json=lambda n: new(B, LAB, f"c{n}b"), marks=lambda n: [(f"c{n}b", True, False)]),
    Write("create A vital", "POST", lambda n: "/Observation", predict(201, ("c", fact(A, VITAL))),
          json=lambda n: new(A, VITAL, f"v{n}a"), marks=lambda n: [(f"v{n}a", True, False)]),
    Write("update own", "PUT", lambda n: f"/Observation/u{n}a",
          predict(200, ("u", fact(A)), ("u", fact(A))),
          json=lambda n: new(A, LAB, f"u{n}a", f"u{n}a"), changed=lambda n: [f"u{n}a"]),
    Write("update other", "PUT", lambda n: f"/Observation/u{n}b",
          predict(200, ("u", fact(B)), ("u", fact(B))),
          json=lambda n: new(B, LAB, f"u{n}b", f"u{n}b"), changed=lambda n: [f"u{n}b"]),
    Write("update moves A to B", "PUT", lambda n: f"/Observation/m{n}a",
          predict(200, ("u", fact(A)), ("u", fact(B))),
          json=lambda n: new(B, LAB, f"m{n}a", f"m{n}a"), changed=lambda n: [f"m{n}a"]),
    Write("update out of the query", "PUT", lambda n: f"/Observation/q{n}a",
          predict(200, ("u", fact(A)), ("u", fact(A, VITAL))),
          json=lambda n: new(A, VITAL, f"q{n}a", f"q{n}a"), changed=lambda n: [f"q{n}a"]),
    Write("update as create A", "PUT", lambda n: f"/Observation/n{n}a",
          predict(201, ("c", fact(A)), ("u", fact(A))),
          json=lambda n: new(A, LAB, f"n{n}a", f"n{n}a"), marks=lambda n: [(f"n{n}a", True, False)]),
    Write("update as create B", "PUT", lambda n: f"/Observation/n{n}b",
          predict(201, ("c", fact(B)), ("u", fact(B))),
          json=lambda n: new(B, LAB, f"n{n}b", f"n{n}b"), marks=lambda n: [(f"n{n}b", True, False)]),
    Write("delete own", "DELETE", lambda n: f"/Observation/d{n}a", predict(0, ("d", fact(A))),
          deleted=lambda n: [f"d{n}a"]),
    Write("delete other", "DELETE", lambda n: f"/Observation/d{n}b", predict(0, ("d", fact(B))),
          deleted=lambda n: [f"d{n}b"]),
    Write("conditional create matching B", "POST", lambda n: "/Observation",
          predict(200, ("c", fact(B))), json=lambda n: new(B, LAB, f"cc{n}b"),
          headers=lambda n: {"If-None-Exist": _condition(f"cc{n}b")}),
    Write("conditional create new A", "POST", lambda n: "/Observation",
          predict(201, ("c", fact(A))), json=lambda n: new(A, LAB, f"cn{n}a"),
          headers=lambda n: {"If-None-Exist": _condition(f"cn{n}a")},
          marks=lambda n: [(f"cn{n}a", True, False)]),
    Write("conditional create new B", "POST", lambda n: "/Observation",
          predict(201, ("c", fact(B))), json=lambda n: new(B, LAB, f"cn{n}b"),
          headers=lambda n: {"If-None-Exist": _condition(f"cn{n}b")},
          marks=lambda n: [(f"cn{n}b", True, False)]),
    Write("conditional update own", "PUT", lambda n: f"/Observation?{_condition(f'cu{n}a')}",
          predict(200, ("u", fact(A)), ("u", fact(A))),
          json=lambda n: new(A, LAB, f"cu{n}a"), changed=lambda n: [f"cu{n}a"]),
    Write("conditional update other", "PUT", lambda n: f"/Observation?{_condition(f'cu{n}b')}",
          predict(200, ("u", fact(B)), ("u", fact(B))),
          json=lambda n: new(B, LAB, f"cu{n}b"), changed=lambda n: [f"cu{n}b"]),
    Write("conditional delete own", "DELETE", lambda n: f"/Observation?{_condition(f'cd{n}a')}",
          predict(0, ("d", fact(A))), deleted=lambda n: [f"cd{n}a"]),
    Write("conditional delete other", "DELETE", lambda n: f"/Observation?{_condition(f'cd{n}b')}",
          predict(0, ("d", fact(B))), deleted=lambda n: [f"cd{n}b"]),
    Write("transaction all A", "POST", lambda n: "/", predict(200, ("c", fact(A))),
          json=lambda n: bundle("transaction", entry(new(A, LAB, f"t{n}a1")), entry(new(A, LAB, f"t{n}a2"))),
          marks=lambda n: [(f"t{n}a1", True, False), (f"t{n}a2", True, False)]),
    Write("transaction A and B", "POST", lambda n: "/", predict(200, ("c", fact(A)), ("c", fact(B))),
          json=lambda n: bundle("transaction", entry(new(A, LAB, f"x{n}a")), entry(new(B, LAB, f"x{n}b"))),
          marks=lambda n: [(f"x{n}a", True, False), (f"x{n}b", True, False)]),
    Write("transaction updates other", "POST", lambda n: "/", predict(200, ("c", fact(A)), ("u", fact(B))),
          json=lambda n: bundle("transaction", entry(new(A, LAB, f"y{n}a")),
                                entry(new(B, LAB, f"cc{n}b", f"cc{n}b"), "PUT", f"Observation/cc{n}b")),
          marks=lambda n: [(f"y{n}a", True, False)]),
    Write("transaction conditional reference to B", "POST", lambda n: "/", conditional_reference,
          json=by_identifier, marks=lambda n: [(f"r{n}b", True, False)]),
    Write("transaction reads B", "POST", lambda n: "/", predict(200, ("c", fact(A)), ("r", FACTS["Observation/pb-lab"])),
          json=lambda n: bundle("transaction", entry(new(A, LAB, f"g{n}a")),
                                {"request": {"method": "GET", "url": "Observation/pb-lab"}}),
          marks=lambda n: [(f"g{n}a", True, False)]),
    Write("batch A and B", "POST", lambda n: "/", lambda g: Expect.of(200, letter="c"),
          json=lambda n: bundle("batch", entry(new(A, LAB, f"b{n}a")), entry(new(B, LAB, f"b{n}b"))),
          batch=lambda g: [201 if may(g, ("c", fact(p))) else 403 for p in (A, B)]),
)  # fmt: skip


async def stored_problems(api: AsyncClient, write: Write, n: int, ok: bool) -> list[str]:
    """What is stored after the write, read with the admin token, against what must be."""
    admin = bearer(ADMIN)
    problems = []
    marks = write.marks(n)
    if write.batch is not None:
        marks = [(f"b{n}a", True, False), (f"b{n}b", True, False)]
    for mark, if_ok, if_refused in marks:
        found = await api.get(
            "/Observation", params={"identifier": f"{MARK_SYSTEM}|{mark}"}, headers=admin
        )
        count = len(found.json().get("entry", []))
        if write.batch is None and count != (1 if (if_ok if ok else if_refused) else 0):
            problems.append(
                f"{mark} stored {count} times after a {'successful' if ok else 'refused'} write"
            )
    for resource_id in write.changed(n):
        value = (await api.get(f"/Observation/{resource_id}", headers=admin)).json()
        written = value.get("valueQuantity", {}).get("value") == NEW_VALUE
        if written != ok:
            problems.append(f"Observation/{resource_id} {'changed' if written else 'unchanged'}")
    for resource_id in write.deleted(n):
        status = (await api.get(f"/Observation/{resource_id}", headers=admin)).status_code
        if (status == 410) != ok:
            problems.append(f"Observation/{resource_id} read {status} after the delete")
    return problems
