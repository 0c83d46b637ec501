"""The gateway's Prometheus metrics: one set per application, and the hooks that feed it.

Issue 14, part 5. prometheus-client (the Prometheus project's own Python client) holds the
values; each app gets its own `CollectorRegistry`, never the process-wide default one, so two
apps in one process (tests, benchmarks) count apart. Label values are bounded by construction:
interactions are R4's `restful-interaction` codes, resource types come from the R4 type list
(anything else is `other`), statuses are HTTP codes, store operations are MongoDB command names
from a fixed list. Never an id, a query string or a token.

Who counts what:
- the request counters, latencies and the in-flight gauge: the HTTP envelope
  (gateway.http.metrics, one classification shared with the audit);
- resources imported through Bundles and the seed apps' records: the HTTP edge, through
  `resources_imported`;
- `$export` jobs and the resources they export: the job runner calls `export_started`,
  `export_completed` and `export_failed` (gateway.services.bulk_jobs);
- store errors: the MongoDB client's command listener (gateway.store.failures);
- audit events written or dropped: the audit trail (gateway.http.audit_trail).

Services and the store do not know which app they serve, so the hooks find the app's metrics
in a context variable: the envelope binds it for each request, the lifespan for the tasks it
starts (the audit writer, job runners). Outside both (the CLI) a hook does nothing.

Several workers (`serve --workers N`): each worker is a process with its own values; with
PROMETHEUS_MULTIPROC_DIR set (serve sets it) prometheus-client keeps them in files there and
`/metrics` adds up every worker's (gateway.http.routes.metrics).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

import fhir_profiles

PREFIX = "fhir_gateway"
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own variable
# Seconds: most FHIR reads take a millisecond or a few, searches tens, Bundles seconds.
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
NO_TYPE = "none"  # a request that names no resource type (system level, the probes)
OTHER = "other"  # a label value outside the bounded set
EXPORT_STATES = ("started", "completed", "failed")
IMPORT_VIA = frozenset({"transaction", "batch", "apps"})
# MongoDB commands the driver sends for what the store does (gateway.store.collection, units of
# work, the probes); any other command name is counted as `other`.
STORE_OPERATIONS = frozenset({
    "find", "getMore", "insert", "update", "delete", "findAndModify", "aggregate", "count",
    "distinct", "createIndexes", "listIndexes", "listCollections", "drop", "killCursors",
    "commitTransaction", "abortTransaction", "endSessions", "ping", "hello", "isMaster",
})  # fmt: skip


@lru_cache(maxsize=1)
def known_types() -> frozenset[str]:
    """R4's resource types: the only `type` label values besides `none` and `other`."""
    return frozenset(fhir_profiles.resource_types())


def type_label(resource_type: str | None) -> str:
    """A bounded label: an R4 type, `none` when the request names none, else `other`."""
    if resource_type is None:
        return NO_TYPE
    return resource_type if resource_type in known_types() else OTHER


def multiprocess() -> bool:
    """Whether values live in files shared by the workers (read when prometheus-client is
    imported, so the variable must be set before the worker starts)."""
    return bool(os.environ.get(MULTIPROCESS_DIR))


class Metrics:
    """Every metric of one application, in its own registry."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            f"{PREFIX}_requests",
            "Requests answered, by FHIR interaction, resource type and HTTP status.",
            ["interaction", "type", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by interaction and type.",
            ["interaction", "type"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            f"{PREFIX}_requests_in_flight",
            "Requests being answered now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.imported = Counter(
            f"{PREFIX}_imported_resources",
            "Resources stored (written or found unchanged) by transaction and batch Bundles"
            " (`fhir-gateway import --url` sends batches) and the seed apps' records.",
            ["via"],
            registry=registry,
        )
        self.export_jobs = Counter(
            f"{PREFIX}_export_jobs",
            "Bulk Data $export jobs, by what happened to them (started, completed, failed).",
            ["state"],
            registry=registry,
        )
        self.exported = Counter(
            f"{PREFIX}_exported_resources",
            "Resources written to $export files by completed jobs, by resource type.",
            ["type"],
            registry=registry,
        )
        self.store_errors = Counter(
            f"{PREFIX}_store_errors",
            "MongoDB commands that failed, by command (the driver's command monitoring).",
            ["operation"],
            registry=registry,
        )
        self.audit_events = Counter(
            f"{PREFIX}_audit_events",
            "AuditEvents written to the store, or dropped (logged at ERROR instead).",
            ["outcome"],
            registry=registry,
        )
        for state in EXPORT_STATES:  # present at 0 from the start: rates need a first sample
            self.export_jobs.labels(state)
        for outcome in ("written", "dropped"):
            self.audit_events.labels(outcome)

        # What must run before the values are read: the envelope's pending requests.
        self.flushes: list[Callable[[], None]] = []

    def flush(self) -> None:
        """Bring the values up to date (before a scrape, or when a worker ends)."""
        for flush in self.flushes:
            flush()

    def store_error(self, operation: str) -> None:
        label = operation if operation in STORE_OPERATIONS else OTHER
        self.store_errors.labels(label).inc()


_current: contextvars.ContextVar[Metrics | None] = contextvars.ContextVar("metrics", default=None)


def current() -> Metrics | None:
    """The metrics of the app serving this request or task; None outside an app (the CLI)."""
    return _current.get()


@contextmanager
def counting_for(metrics: Metrics | None) -> Iterator[None]:
    """The hooks count into `metrics` in this block and in the tasks it starts."""
    token = _current.set(metrics)
    try:
        yield
    finally:
        _current.reset(token)


def bind(metrics: Metrics | None) -> contextvars.Token[Metrics | None]:
    """`counting_for` without a generator, for the envelope's hot path; `unbind` undoes it."""
    return _current.set(metrics)


def unbind(token: contextvars.Token[Metrics | None]) -> None:
    _current.reset(token)


# --- hooks ---------------------------------------------------------------------------------------


def resources_imported(count: int, *, via: str) -> None:
    """`count` resources stored by a Bundle (`via` its type) or the seed apps' records."""
    metrics = _current.get()
    if metrics is not None and count:
        metrics.imported.labels(via if via in IMPORT_VIA else OTHER).inc(count)


def export_started() -> None:
    """A `$export` job was accepted and starts."""
    metrics = _current.get()
    if metrics is not None:
        metrics.export_jobs.labels("started").inc()


def export_completed(counts: Mapping[str, int]) -> None:
    """A `$export` job finished; `counts`: resources written per type."""
    metrics = _current.get()
    if metrics is None:
        return
    metrics.export_jobs.labels("completed").inc()
    for resource_type, count in counts.items():
        if count:
            metrics.exported.labels(type_label(resource_type)).inc(count)


def export_failed() -> None:
    """A `$export` job failed (not a cancelled one: a DELETE is the client's wish)."""
    metrics = _current.get()
    if metrics is not None:
        metrics.export_jobs.labels("failed").inc()


def store_error_counter() -> Callable[[str], None] | None:
    """What the store's client calls with a failed command's name, bound now: the driver
    reports from its own threads, where no request's context is."""
    metrics = _current.get()
    return metrics.store_error if metrics is not None else None
