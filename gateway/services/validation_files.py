"""`fhir-gateway validate` over files: each resource read checked as `$validate` checks it.

Items come from the import's readers (a stream: NDJSON line by line, Bundles entry by entry)
and go out through the import's report, so the findings have its error report format. The
checks (gateway.services.validation.findings) need no store, so batches of resources can be
checked in worker processes started as the import's are (forkserver, with the mappers and
engine warmed: gateway.services.validation_preload) while this process reads the next ones; at most a few batches are in flight,
so memory stays flat however large the file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager

from gateway.conformance import base_profile
from gateway.errors import Issue
from gateway.jsonio import Json, dumps, loads
from gateway.services.batching import chunks
from gateway.services.imports.identity import reported_type
from gateway.services.imports.readers import Item
from gateway.services.imports.report import Failure, Report
from gateway.services.profiles import VITAL_SIGNS_FAMILY, ProfilePolicy, blocking
from gateway.services.validation import findings
from gateway.services.workers import worker_pool
from mappers.outcome import operation_outcome

BATCH = 200  # resources sent to a worker at a time
PRELOAD = "gateway.services.validation_preload"
Checked = list[list[Issue]]


def validate_items(
    items: Iterable[Item],
    report: Report,
    *,
    policy: ProfilePolicy,
    profiles: tuple[str, ...] = (),
    warnings: bool = False,
    workers: int = 0,
) -> Report:
    """Check every item, in reading order. A resource with errors is a failure of `report`;
    one with warnings only is counted valid, its findings sent to the same sink if `warnings`
    (R4's dom-6 warns of every resource without a narrative: most data has none)."""
    for batch, checked in _checked(items, policy, profiles, workers):
        verdicts = iter(checked)
        for item in batch:
            if item.resource is None:
                report.unreadable(item)
                continue
            _record(report, item, next(verdicts), warnings=warnings)
    return report


def _record(report: Report, item: Item, issues: list[Issue], *, warnings: bool) -> None:
    resource_type = reported_type(item.resource or {})
    if blocking(issues):
        report.fail(item, resource_type, *issues)
        return
    report.count(resource_type, "valid")
    if issues and warnings:
        report.on_failure(Failure(str(item.source), item.position, operation_outcome(issues)))


def _checked(
    items: Iterable[Item], policy: ProfilePolicy, profiles: tuple[str, ...], workers: int
) -> Iterator[tuple[list[Item], Checked]]:
    """Batches of items with the findings of their resources, here or in `workers` processes
    (two batches per worker in flight)."""
    batches = chunks(items, BATCH)
    if not workers:
        for batch in batches:
            resources = [item.resource for item in batch if item.resource is not None]
            yield batch, check(resources, policy, profiles)
        return
    with _pool(workers) as pool:
        ahead: deque[tuple[list[Item], Future[Checked]]] = deque()
        for batch in batches:
            payload = dumps([item.resource for item in batch if item.resource is not None])
            ahead.append((batch, pool.submit(_in_worker, payload, policy, profiles)))
            if len(ahead) > 2 * workers:
                done, future = ahead.popleft()
                yield done, future.result()
        while ahead:
            done, future = ahead.popleft()
            yield done, future.result()


def check(resources: list[Json], policy: ProfilePolicy, profiles: tuple[str, ...]) -> Checked:
    return [findings(policy, resource, profiles) for resource in resources]


def _in_worker(payload: bytes, policy: ProfilePolicy, profiles: tuple[str, ...]) -> Checked:
    return check(loads(payload), policy, profiles)


def warm() -> None:
    """Compile what most checks need (R4's definitions of common types, the vital signs family)
    and fill the terminology caches, by checking one blood pressure: about half a second a
    process would otherwise spend on its first batch."""
    reading = {"resourceType": "Observation", "meta": {"profile": list(VITAL_SIGNS_FAMILY)},
               "status": "final", "code": {"coding": [{"system": "http://loinc.org",
                                                        "code": "85354-9"}]}}  # fmt: skip
    for resource_type in ("Patient", "Encounter", "Condition", "MedicationStatement"):
        base_profile(resource_type)
    findings(ProfilePolicy(), reading)


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """Workers whose forkserver has loaded what the import's workers load, and the engine."""
    pool = worker_pool(workers, PRELOAD)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)
