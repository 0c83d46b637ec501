"""A fresh embedded store per test, opened as the gateway opens it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from gateway.jsonio import Json
from gateway.store.embedded import embedded_client
from gateway.store.repository import ResourceStore
from gateway.store.storage import Storage
from gateway.store.versions import Version

T0 = datetime(2024, 3, 1, 8, 0)


@pytest.fixture
async def storage() -> AsyncIterator[Storage]:
    opened = await Storage.open(embedded_client(), "store_tests")
    yield opened
    opened.close()


def patient(family: str, **elements: object) -> Json:
    return {"resourceType": "Patient", "name": [{"family": family}], **elements}


async def create(
    store: ResourceStore, resource_id: str, resource: Json, *, minutes: int = 0
) -> Version:
    """Version 1 of `resource`, last updated `minutes` after T0."""
    return await store.write(
        store.mapper.from_fhir(resource),
        resource,
        resource_id=resource_id,
        version_id=1,
        updated=T0 + timedelta(minutes=minutes),
        previous=None,
        method="POST",
    )
