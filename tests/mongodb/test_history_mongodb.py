"""History by key on a real MongoDB: run when FHIR_GATEWAY_TEST_MONGODB_URI is set.

The key lookups (`latest`, `archived` below a version) answer what the range query answers, and
the range query `latest` falls back to is served by the declared history index, walked
backwards (an IXSCAN, not a collection scan).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from gateway.services import resources
from gateway.services.context import open_services
from gateway.settings import Settings

URI = os.environ.get("FHIR_GATEWAY_TEST_MONGODB_URI")
pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(
        URI is None, reason="set FHIR_GATEWAY_TEST_MONGODB_URI to run against MongoDB"
    ),
]


def stages(plan: Any) -> list[str]:
    """Every stage name of a winning plan, outermost first."""
    found = [plan["stage"]]
    for key in ("inputStage", "queryPlan"):
        if key in plan:
            found += stages(plan[key])
    return found


async def test_history_by_key_on_mongodb_agrees_with_the_range_query() -> None:
    database = f"fhir_gateway_test_{uuid.uuid4().hex[:8]}"
    services = await open_services(Settings(mongodb_uri=URI, mongodb_database=database))
    try:
        store = services.store("Patient")
        for n in range(10):  # ten versions: past the first window of keys
            body = {"resourceType": "Patient", "id": "p1", "name": [{"family": f"v{n}"}]}
            await resources.update(store, "p1", body)
        await resources.delete(store, "p1")
        history = services.storage.history
        latest = await store.latest_archived("p1")
        assert latest is not None
        assert (latest.version_id, latest.deleted) == (11, True)
        assert latest == await history.newest("Patient", "p1")
        assert await store.latest_archived("never") is None
        archived = await store.archived("p1", limit=3, below=10)
        assert [v.version_id for v in archived] == [9, 8, 7]

        query = {"resource_type": "Patient", "resource_id": "p1"}
        cursor = history.collection.find(query).sort([("version_id", -1)]).limit(1)
        plan = (await cursor.explain())["queryPlanner"]["winningPlan"]
        assert "IXSCAN" in stages(plan), plan
        assert "COLLSCAN" not in stages(plan), plan
    finally:
        await services.client.drop_database(database)
        services.close()
