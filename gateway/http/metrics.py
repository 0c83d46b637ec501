"""What the envelope records of each request: its count, its latency, and requests in flight.

Issue 14, part 5. The envelope classifies a request once (gateway.http.audit_paths, the
audit's own classification) and hands the result here and to the audit. The label children of
each (interaction, type) and status are made on first use and kept, so a request costs no label
lookup under a metric's lock, and its updates are made in batches (`RequestMetrics`). `bench/bench_metrics.py` measures it against METRICS=off.
"""

from __future__ import annotations

import os

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.multiprocess import mark_process_dead

from gateway.http.audit_paths import Classified
from gateway.jsonio import Json
from gateway.metrics import (
    NO_TYPE,
    Metrics,
    current,
    multiprocess,
    resources_imported,
    type_label,
)

BATCH = 256  # requests noted before they are added to the values (a scrape adds them first)
NO_INTERACTION = "none"  # the probes, /metrics, the documentation, CORS preflights, stray paths


class _Series:
    """One (interaction, type): its latency histogram and its counter per status."""

    __slots__ = ("by_status", "labels", "latency", "requests")

    def __init__(self, metrics: Metrics, interaction: str, resource_type: str) -> None:
        self.labels = (interaction, resource_type)
        self.requests = metrics.requests
        self.latency: Histogram = metrics.latency.labels(interaction, resource_type)
        self.by_status: dict[int, Counter] = {}

    def answered(self, status: int, count: int) -> None:
        """`count` more requests answered with `status`."""
        counter = self.by_status.get(status)
        if counter is None:
            counter = self.by_status[status] = self.requests.labels(*self.labels, str(status))
        counter.inc(count)


class RequestMetrics:
    """The envelope's side of one app's metrics (gateway.metrics.Metrics).

    A request's end is noted in a list, and the list is added to the prometheus-client values
    256 at a time and before every scrape (`Metrics.flush`): the same updates in a tight loop
    cost a third of what they cost one at a time between requests, where they find nothing of
    theirs in the CPU's caches (bench_metrics: ~3 µs against ~8-11 µs). Requests in flight are a
    plain count the gauge reads when scraped (`set_function`). With several workers
    (multiprocess mode) no scrape can flush another worker's list, and a function cannot be
    read from the shared files: each request is added at once and the gauge is kept there.
    """

    __slots__ = ("_batch", "_pending", "_series", "_shared", "in_flight", "metrics")

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.in_flight = 0
        shared = multiprocess()
        self._shared: Gauge | None = metrics.in_flight if shared else None
        if self._shared is None:
            metrics.in_flight.set_function(lambda: self.in_flight)
        self._batch = 1 if shared else BATCH
        self._pending: list[tuple[Classified | None, int, float]] = []
        self._series: dict[tuple[str, str], _Series] = {}
        metrics.flushes.append(self.flush)

    def begin(self) -> None:
        self.in_flight += 1
        if self._shared is not None:
            self._shared.inc()

    def end(self, found: Classified | None, status: int, seconds: float) -> None:
        """The request classified as `found` (None: no FHIR interaction) was answered."""
        self.in_flight -= 1
        if self._shared is not None:
            self._shared.dec()
        pending = self._pending
        pending.append((found, status, seconds))
        if len(pending) >= self._batch:
            self.flush()

    def flush(self) -> None:
        """Add the requests noted so far to the values: each latency observed, each counter
        incremented once by its share."""
        pending, self._pending = self._pending, []
        tally: dict[tuple[_Series, int], int] = {}
        for found, status, seconds in pending:
            series = self.series(found)
            series.latency.observe(seconds)
            tally[series, status] = tally.get((series, status), 0) + 1
        for (series, status), count in tally.items():
            series.answered(status, count)

    def series(self, found: Classified | None) -> _Series:
        """The series a request classified as `found` counts in."""
        if found is None:
            key = (NO_INTERACTION, NO_TYPE)
        else:
            key = (found.interaction, type_label(found.resource_type))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(self.metrics, *key)
        return series


def metrics_ended(metrics: Metrics | None) -> None:
    """At the app's end: with several workers, this worker's in-flight gauge leaves the sum
    (its counters stay: they count what it did); else the noted requests are counted, for
    whoever reads the registry after."""
    if multiprocess():
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]  # untyped in the client
    elif metrics is not None:
        metrics.flush()


_STORING = frozenset({"POST", "PUT", "PATCH"})


def bundle_stored(bundle: Json, answer: Json) -> None:
    """Count the resources a transaction or batch `bundle` stored (its create, update and patch
    entries answered 2xx in `answer`), as imported by its type (`import --url` sends batches)."""
    if current() is None:
        return
    requests = bundle.get("entry") or ()
    answers = answer.get("entry") or ()
    stored = sum(
        1
        for entry, result in zip(requests, answers, strict=False)
        if str((entry.get("request") or {}).get("method")).upper() in _STORING
        and str((result.get("response") or {}).get("status", "")).startswith("2")
    )
    resources_imported(stored, via=str(bundle.get("type")))


def records_stored(answer: Json) -> None:
    """Count the resources the seed apps' records made (created, updated or unchanged; not
    those deleted), as imported `via` apps (`import --from` without MONGODB_URI sends them)."""
    if current() is None:
        return
    stored = sum(
        counts.get(outcome, 0)
        for counts in (answer.get("resources") or {}).values()
        for outcome in ("created", "updated", "unchanged")
    )
    resources_imported(stored, via="apps")
