"""The real-MongoDB suite's stores: each test here runs on the embedded store everywhere and,
marked `mongodb`, on the server named by FHIR_GATEWAY_TEST_MONGODB_URI (skipped without one).

Running both with one body is what makes a real-server test trustworthy on machines that have
no server: the embedded run proves the test itself passes for the right reasons, so a failure
in CI is a difference between the stores, not a broken test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from gateway.settings import Settings
from gateway.store.client import make_client
from gateway.store.embedded import embedded_client
from tests.conftest import api_client

URI = os.environ.get("FHIR_GATEWAY_TEST_MONGODB_URI")
NEEDS_SERVER = "set FHIR_GATEWAY_TEST_MONGODB_URI to run against MongoDB"
ON_MONGODB = [pytest.mark.mongodb, pytest.mark.skipif(URI is None, reason=NEEDS_SERVER)]
STORES = [pytest.param("embedded"), pytest.param("mongodb", marks=ON_MONGODB)]


def database_name() -> str:
    """A database of its own per test, dropped afterwards, so runs never see each other."""
    return f"fhir_gateway_test_{uuid.uuid4().hex[:12]}"


def settings_for(store: str, database: str) -> Settings:
    """The app's settings on `store`. On MongoDB authorization would default to `smart` and the
    gateway would refuse to start without keys: these tests are about the store, so it is off."""
    uri = URI if store == "mongodb" else None
    return Settings(mongodb_uri=uri, mongodb_database=database, demo_data=False, auth_mode="off")


@pytest.fixture(params=STORES)
async def store_api(request: pytest.FixtureRequest) -> AsyncIterator[AsyncClient]:
    """An HTTP client on a new app over an empty database of the parametrized store."""
    database = database_name()
    context = api_client(settings_for(request.param, database))
    async with context as client:
        yield client
        await context.app.state.services.client.drop_database(database)


@pytest.fixture(params=STORES)
async def server_client(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The client a comparison runs against as "the server": MongoDB when marked, and here a
    second embedded store, independent of the first (the harness's own sanity run)."""
    if request.param == "embedded":
        yield embedded_client()
        return
    client = make_client(Settings(mongodb_uri=URI, auth_mode="off"))
    yield client
    client.close()
