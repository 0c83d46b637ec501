"""What the envelope records of each request: its count, its latency, and requests in flight.

Issue 14, part 5. The envelope classifies a request once (gateway.http.audit_paths, the
audit's own classification) and hands the result here and to the audit. The label children of
each (interaction, type) and status are made on first use and kept, so a request costs two
dictionary reads and three updates of prometheus-client values (~2 µs), not a label lookup
under the metric's lock. `bench/bench_metrics.py` measures it against METRICS=off.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from gateway.http.audit_paths import Classified
from gateway.jsonio import Json
from gateway.metrics import NO_TYPE, Metrics, current, resources_imported, type_label

NO_INTERACTION = "none"  # the probes, /metrics, the documentation, CORS preflights, stray paths


class _Series:
    """One (interaction, type): its latency histogram and its counter per status."""

    __slots__ = ("by_status", "labels", "latency", "requests")

    def __init__(self, metrics: Metrics, interaction: str, resource_type: str) -> None:
        self.labels = (interaction, resource_type)
        self.requests = metrics.requests
        self.latency: Histogram = metrics.latency.labels(interaction, resource_type)
        self.by_status: dict[int, Counter] = {}

    def answered(self, status: int, seconds: float) -> None:
        counter = self.by_status.get(status)
        if counter is None:
            counter = self.by_status[status] = self.requests.labels(*self.labels, str(status))
        counter.inc()
        self.latency.observe(seconds)


class RequestMetrics:
    """The envelope's side of one app's metrics (gateway.metrics.Metrics)."""

    __slots__ = ("_series", "in_flight", "metrics")

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.in_flight = metrics.in_flight
        self._series: dict[tuple[str, str], _Series] = {}

    def series(self, found: Classified | None) -> _Series:
        """The series a request classified as `found` (None: no FHIR interaction) counts in."""
        if found is None:
            key = (NO_INTERACTION, NO_TYPE)
        else:
            key = (found.interaction, type_label(found.resource_type))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(self.metrics, *key)
        return series


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
