"""The hooks services and the store count through (gateway.metrics): into the bound app only."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from gateway import metrics
from gateway.metrics import Metrics, counting_for
from gateway.store.client import make_client
from gateway.store.failures import FailedCommands
from tests.conftest import make_settings


def sample(found: Metrics, name: str, **labels: str) -> float | None:
    return found.registry.get_sample_value(name, labels)


def test_export_hooks_count_jobs_and_resources_by_bounded_type() -> None:
    mine = Metrics()
    metrics.export_started()  # unbound (the CLI): nothing, and no error
    with counting_for(mine):
        metrics.export_started()
        metrics.export_started()
        metrics.export_completed({"Patient": 3, "NotAType": 2, "Observation": 0})
        metrics.export_failed()
    assert sample(mine, "fhir_gateway_export_jobs_total", state="started") == 2
    assert sample(mine, "fhir_gateway_export_jobs_total", state="completed") == 1
    assert sample(mine, "fhir_gateway_export_jobs_total", state="failed") == 1
    assert sample(mine, "fhir_gateway_exported_resources_total", type="Patient") == 3
    assert sample(mine, "fhir_gateway_exported_resources_total", type="other") == 2
    assert sample(mine, "fhir_gateway_exported_resources_total", type="Observation") is None


async def test_a_task_started_in_the_block_counts_into_its_app() -> None:
    """Export jobs run as tasks after their kick-off: they keep the app they started in."""
    mine, other = Metrics(), Metrics()

    async def job() -> None:
        await asyncio.sleep(0)
        metrics.resources_imported(4, via="batch")
        metrics.resources_imported(1, via="somewhere")

    with counting_for(mine):
        task = asyncio.create_task(job())
    with counting_for(other):
        await task
    assert sample(mine, "fhir_gateway_imported_resources_total", via="batch") == 4
    assert sample(mine, "fhir_gateway_imported_resources_total", via="other") == 1
    assert sample(other, "fhir_gateway_imported_resources_total", via="batch") is None


def test_failed_commands_are_counted_by_bounded_name() -> None:
    mine = Metrics()
    listener = FailedCommands(mine.store_error)
    for name in ("insert", "insert", "find", "someFutureCommand"):
        listener.failed(SimpleNamespace(command_name=name))  # type: ignore[arg-type]
    listener.started(SimpleNamespace(command_name="find"))  # type: ignore[arg-type]
    listener.succeeded(SimpleNamespace(command_name="find"))  # type: ignore[arg-type]
    assert sample(mine, "fhir_gateway_store_errors_total", operation="insert") == 2
    assert sample(mine, "fhir_gateway_store_errors_total", operation="find") == 1
    assert sample(mine, "fhir_gateway_store_errors_total", operation="other") == 1


def test_the_mongodb_client_of_an_app_reports_failed_commands_to_it() -> None:
    settings = make_settings(mongodb_uri="mongodb://127.0.0.1:1/?connect=false")
    mine = Metrics()
    with counting_for(mine):
        client = make_client(settings)
    try:
        [listener] = client.options.event_listeners
        assert isinstance(listener, FailedCommands)
        listener.failed(SimpleNamespace(command_name="update"))
        assert sample(mine, "fhir_gateway_store_errors_total", operation="update") == 1
    finally:
        client.close()
    unbound = make_client(settings)  # the CLI: no app, no listener
    try:
        assert unbound.options.event_listeners == []
    finally:
        unbound.close()
