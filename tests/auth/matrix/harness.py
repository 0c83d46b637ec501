"""The app under test: AUTH_MODE=smart trusting the test identity provider of
tests/auth/tokens_for_tests.py (keys the test generates, tokens signed with joserfc); the world
loaded with an admin token (`system/*.*`).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from httpx import AsyncClient, Response

from tests.auth.matrix.grants import ADMIN, GrantRow
from tests.auth.matrix.world import GONE, MOVED, MOVED_TO_B, RESOURCES, Json
from tests.auth.tokens_for_tests import TestIssuer
from tests.conftest import api_client

ISSUER = TestIssuer.shared()


@functools.cache
def token(grant: GrantRow) -> str:
    """One token per grant for the session (signing costs more than the request it carries);
    an hour's lifetime outlasts any run of the suite."""
    return ISSUER.token(scope=grant.scope, patient=grant.patient, lifetime=3600)


def bearer(grant: GrantRow) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(grant)}"}


def smart_settings(directory: Path) -> Any:
    return ISSUER.settings(directory, export_dir=directory / "exports")


@asynccontextmanager
async def smart_app(directory: Path, extra: list[Json] | None = None) -> AsyncIterator[AsyncClient]:
    """A client on a new smart app whose store holds the world (and `extra`), PUT as admin."""
    async with api_client(smart_settings(directory)) as client:
        admin = bearer(ADMIN)
        for resource in [*RESOURCES, MOVED, *GONE, *(extra or [])]:
            path = f"/{resource['resourceType']}/{resource['id']}"
            answer = await client.put(path, json=resource, headers=admin)
            assert answer.status_code == 201, answer.text
        moved = await client.put("/Observation/moved", json=MOVED_TO_B, headers=admin)
        assert moved.status_code == 200, moved.text
        for resource in GONE:
            gone = await client.delete(f"/Observation/{resource['id']}", headers=admin)
            assert gone.status_code in (200, 204), gone.text
        yield client


def body(response: Response) -> Json | None:
    try:
        value = response.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
