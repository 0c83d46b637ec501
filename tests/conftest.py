"""Shared fixtures: the app in-process on a fresh embedded store, and the third-party corpus."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient

from gateway.http.app import create_app
from gateway.jsonio import Json
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FHIR_JSON = "application/fhir+json"


def make_settings(**overrides: Any) -> Settings:
    return Settings(**{"mongodb_uri": None, "demo_data": False, **overrides})


@pytest.fixture
async def api() -> AsyncIterator[AsyncClient]:
    """An HTTP client on the FHIR base of a new app with an empty embedded store."""
    async with api_client(make_settings()) as client:
        yield client


@asynccontextmanager
async def populated_client(resources: Iterable[Json]) -> AsyncIterator[AsyncClient]:
    """A client on a new app whose store holds `resources`, each created by a PUT at its id."""
    async with api_client(make_settings()) as client:
        for resource in resources:
            path = f"/{resource['resourceType']}/{resource['id']}"
            response = await client.put(path, json=resource)
            assert response.status_code == 201, response.text
        yield client


class api_client:
    def __init__(self, settings: Settings, *, raise_app_exceptions: bool = True) -> None:
        self.app = create_app(settings)
        self.manager = LifespanManager(self.app)
        transport = ASGITransport(app=self.app, raise_app_exceptions=raise_app_exceptions)
        self.client = AsyncClient(
            transport=transport,
            base_url=f"http://test{settings.fhir_base_path}",
            headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
        )

    async def __aenter__(self) -> AsyncClient:
        await self.manager.__aenter__()
        await self.client.__aenter__()
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        await self.client.__aexit__(*exc)
        await self.manager.__aexit__(*exc)


def samples_dir() -> Path | None:
    configured = os.environ.get("FHIR_SAMPLES_DIR")
    candidate = Path(configured) if configured else ROOT.parent / "shared" / "fhir-samples"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def fhir_samples() -> Path:
    """The third-party sample directory; tests using it skip where it is absent."""
    directory = samples_dir()
    if directory is None:
        pytest.skip(
            "third-party FHIR samples not found: set FHIR_SAMPLES_DIR or place them at "
            "../shared/fhir-samples"
        )
    return directory
