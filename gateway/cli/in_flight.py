"""Batches sent while the next ones are prepared, at most `limit` in flight, answered in order.

`import --url` spent a third of its time with the server idle while it read, rewrote and encoded
the next batch (bench/bench_peer.py --import-url). Here a batch is posted from a thread, so the
importer prepares the next one meanwhile, and up to `limit` batches may be at the server at
once. What the sequential importer guaranteed still holds:

- A batch waits until every earlier batch it depends on is answered: one that PUTs a resource
  an earlier batch in flight also PUTs (a later file's newer version must land last), or whose
  conditional references search a type an earlier batch in flight writes (`Practitioner?…`
  after the companion file of Practitioners), or any type when the criteria chain into others
  (`subject.name`, `_has`) — the rule the server's own batches follow
  (gateway/services/transaction/batch_references.py). A reference to an earlier file's resource
  therefore resolves as it did, and only references to later files are retried at the end.
- Answers, and what preparation reported in between (`defer`), are recorded in the order the
  sequential importer recorded them, so the counts and the `--errors` file come out the same.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Self

# The default: the next batch waits at the server while it answers one. On 2 shared cores 1 and
# 2 measured alike (12.4 and 12.7 s for the Synthea files, 2 alternating runs each); more only
# queues at a server that works on one request at a time.
IN_FLIGHT = 2
ANY_TYPE = "*"  # a conditional reference whose criteria reach other types: any write matters


@dataclass(frozen=True, slots=True)
class Claims:
    """What a batch writes and what its conditional references read."""

    targets: frozenset[str]  # `Type/id` it PUTs
    types: frozenset[str]  # the types of those
    searches: frozenset[str]  # types its conditional references search, or ANY_TYPE

    def waits_for(self, earlier: Claims) -> bool:
        if self.targets & earlier.targets or self.searches & earlier.types:
            return True
        return ANY_TYPE in self.searches and bool(earlier.types)


@dataclass(slots=True)
class _Step:
    claims: Claims | None
    future: Future[Any] | None
    then: Callable[[Any], object]


class InFlight:
    """Used as a context manager: leaving it waits for every answer and records it."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("At least one batch must be allowed in flight.")
        self.limit = limit
        self.steps: deque[_Step] = deque()
        self.pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="import-url")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.drain()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def defer(self, action: Callable[[], None]) -> None:
        """Run `action` once every batch submitted before it is answered and recorded."""
        if self.steps:
            self.steps.append(_Step(None, None, lambda _: action()))
        else:
            action()

    def submit(
        self, claims: Claims, send: Callable[[], Any], then: Callable[[Any], object]
    ) -> None:
        """`send()` in a thread once the batches it depends on are answered and a slot is free;
        `then(answer)` here, in submission order."""
        while self.steps and (
            self._flying() >= self.limit
            or any(s.claims is not None and claims.waits_for(s.claims) for s in self.steps)
        ):
            self._settle_first()
        self.steps.append(_Step(claims, self.pool.submit(send), then))

    def drain(self) -> None:
        while self.steps:
            self._settle_first()

    def _flying(self) -> int:
        return sum(step.future is not None for step in self.steps)

    def _settle_first(self) -> None:
        step = self.steps.popleft()
        step.then(None if step.future is None else step.future.result())
