"""The write path is warmed once per process at start, writing nothing, refusing nothing."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from asgi_lifespan import LifespanManager

from gateway.errors import UnprocessableResource
from gateway.http import app as app_module
from gateway.services import resources
from gateway.services.context import Services
from gateway.services.transaction import warm
from tests.conftest import make_settings

DOMAIN_TYPES = ("Patient", "Encounter", "Observation", "MedicationStatement")


@pytest.fixture
def admitted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The types `resources.admit` is called for, in a process that has not warmed yet."""
    monkeypatch.setattr(warm, "_DONE", threading.Event())
    seen: Counter[str] = Counter()
    original = resources.admit

    def counting(store: Any, resource: Any, **options: Any) -> Any:
        seen[resource["resourceType"]] += 1
        return original(store, resource, **options)

    monkeypatch.setattr(resources, "admit", counting)
    return seen


async def test_warming_admits_every_domain_type_and_writes_nothing(
    services: Services, admitted: Counter[str]
) -> None:
    warm.warm_writes(services)

    assert set(DOMAIN_TYPES) <= set(admitted)
    for resource_type in (*DOMAIN_TYPES, "Practitioner"):
        assert await services.store(resource_type).collection.count_documents({}) == 0


async def test_warming_runs_once_per_process(services: Services, admitted: Counter[str]) -> None:
    warm.warm_writes(services)
    first = sum(admitted.values())

    warm.warm_writes(services)

    assert first > 0
    assert sum(admitted.values()) == first


async def test_a_resource_the_server_refuses_does_not_stop_warming(
    services: Services, admitted: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = resources.admit

    def refusing(store: Any, resource: Any, **options: Any) -> Any:
        if resource["resourceType"] == "Observation":
            counting(store, resource, **options)
            raise UnprocessableResource("A profile this server requires is not met.")
        return counting(store, resource, **options)

    monkeypatch.setattr(resources, "admit", refusing)

    warm.warm_writes(services)

    assert admitted["Observation"] > 1  # every one tried, none stopped it
    assert admitted["MedicationStatement"] > 0  # they come after the Observations
    assert warm._DONE.is_set()


async def test_a_fault_while_warming_is_logged_and_the_start_goes_on(
    services: Services, admitted: Counter[str], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    def broken(*arguments: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(type(services.store("Encounter")), "document", broken)

    warm.warm_writes(services)

    assert admitted["MedicationStatement"] > 0
    failures = [r for r in caplog.records if r.name == warm.__name__]
    assert failures
    assert all(r.getMessage().startswith("Warming failed on a ") for r in failures)
    assert warm._DONE.is_set()


async def test_the_server_warms_before_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    warmed: list[Services] = []
    monkeypatch.setattr(app_module, "warm_writes", warmed.append)
    app = app_module.create_app(make_settings())

    async with LifespanManager(app):
        assert warmed == [app.state.services]
