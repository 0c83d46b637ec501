"""The server's start sets the garbage collector's policy (gateway.collector), and its end
undoes it; the importer applies the same policy through the same function."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from asgi_lifespan import LifespanManager

from gateway.collector import OLDER
from gateway.http.app import create_app
from gateway.services.context import open_services
from gateway.services.imports.pipeline import Importer
from tests.conftest import make_settings


async def test_the_app_start_raises_the_thresholds_and_freezes_what_it_loaded() -> None:
    before = gc.get_threshold()
    app = create_app(make_settings(gc_young_threshold=40_000, demo_data=True))
    async with LifespanManager(app):
        assert gc.get_threshold() == (40_000, *OLDER)
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_zero_leaves_pythons_thresholds_alone() -> None:
    before = gc.get_threshold()
    async with LifespanManager(create_app(make_settings(gc_young_threshold=0))):
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0


async def test_the_importer_raises_the_same_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    services = await open_services(make_settings(gc_young_threshold=30_000))
    seen: list[tuple[int, int, int]] = []
    importer = Importer(services)

    async def run(items: Any) -> Any:
        seen.append(gc.get_threshold())
        return importer.report

    monkeypatch.setattr(importer, "_run", run)
    before = gc.get_threshold()
    await importer.run([])
    services.close()
    assert seen == [(30_000, *OLDER)]
    assert gc.get_threshold() == before
