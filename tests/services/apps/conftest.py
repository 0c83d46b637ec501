"""What the apps service tests share: the toy app (tests/mappers/apps/toy.py) and an empty
embedded store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.services.context import Services, open_services
from tests.conftest import make_settings
from tests.mappers.apps.toy import toy_app  # noqa: F401 (a fixture)


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    """An empty embedded store (a test module may override it with one holding records)."""
    opened = await open_services(make_settings())
    yield opened
    opened.close()
