"""AuditEvents, once recorded, reach no token but one with a `system/` scope naming AuditEvent:
not through `*` scopes, `$everything`, compartments, system search, history or export."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
import pytest_asyncio
from httpx import AsyncClient

from tests.auth.matrix.cases import READS
from tests.auth.matrix.grants import GRANTS, GrantRow
from tests.auth.matrix.harness import ISSUER, bearer, body, smart_app
from tests.auth.matrix.oracle import judge
from tests.auth.matrix.predictions import Case, compartment, everything, history, search
from tests.auth.matrix.world import A

pytestmark = pytest.mark.asyncio(loop_scope="module")
AUDITOR = {"Authorization": f"Bearer {ISSUER.token(scope='system/AuditEvent.rs')}"}
CASES = [
    Case("everything A", "GET", f"/Patient/{A}/$everything", everything(A)),
    Case("compartment A AuditEvent", "GET", f"/Patient/{A}/AuditEvent", compartment(A, "AuditEvent")),
    Case("search AuditEvent", "GET", "/AuditEvent", search(("AuditEvent",)), params={"patient": A}),
    Case("system search", "GET", "/", history(None), params={"_lastUpdated": "ge2000-01-01", "_count": "1000"}),
    Case("system history", "GET", "/_history", history(None), params={"_count": "1000"}),
    Case("include", "GET", "/Patient", search(("Patient",)), params={"_revinclude": "AuditEvent:patient"}),
]  # fmt: skip
WIDE = [
    g
    for g in GRANTS
    if g.id
    in ("patient-all-read-v1", "user-all-cruds-v2", "system-all-star-v1", "system-all-rs-v2")
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncClient]:
    directory: Path = tmp_path_factory.mktemp("matrix-audit")
    async with smart_app(directory) as client:
        for case in READS[:12]:  # requests about both patients, allowed and refused
            await client.get(case.path, headers=bearer(GRANTS[0]))
        for _ in range(100):  # the writer flushes every half second
            found = await client.get("/AuditEvent", params={"patient": A}, headers=AUDITOR)
            if found.json().get("total", 0) >= 5:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("no AuditEvent about patient A was recorded")
        yield client


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("grant", WIDE, ids=[g.id for g in WIDE])
async def test_audit_events_stay_hidden(api: AsyncClient, grant: GrantRow, case: Case) -> None:
    response = await api.request(case.method, case.path, params=case.params, headers=bearer(grant))
    document = body(response)
    verdict = judge(
        grant, case.predict(grant), response.status_code, [document] if document else []
    )
    assert not verdict.problems, (verdict.problems, response.text[:300])


@pytest.mark.parametrize("grant", WIDE, ids=[g.id for g in WIDE])
async def test_export_leaves_audit_events_out(api: AsyncClient, grant: GrantRow) -> None:
    headers = bearer(grant)
    path = "/$export" if grant.context == "system" else "/Patient/$export"
    kickoff = await api.get(path, headers={**headers, "Prefer": "respond-async"})
    assert kickoff.status_code == 202, kickoff.text
    for _ in range(200):
        status = await api.get(kickoff.headers["content-location"], headers=headers)
        if status.status_code == 200:
            break
        await asyncio.sleep(0.02)
    outputs = status.json()["output"]
    assert "AuditEvent" not in {o["type"] for o in outputs}
    for output in outputs:
        file = await api.get(output["url"], headers=headers)
        types = {orjson.loads(line)["resourceType"] for line in file.content.splitlines() if line}
        assert "AuditEvent" not in types


async def test_the_audit_scope_does_read_them(api: AsyncClient) -> None:
    """The control: the events the other tests look for are there."""
    found = await api.get("/AuditEvent", params={"patient": A}, headers=AUDITOR)
    assert found.status_code == 200
    assert {e["resource"]["resourceType"] for e in found.json()["entry"]} == {"AuditEvent"}
