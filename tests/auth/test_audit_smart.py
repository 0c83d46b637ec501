"""The audit trail end to end with AUTH_MODE=smart: real tokens, the real authentication step.

Runs once the authentication step (gateway.http.methods) and its test identity provider
(tests/auth/tokens_for_tests.py) are in the tree; skipped before.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.context import Services

tokens = pytest.importorskip(
    "tests.auth.tokens_for_tests", reason="needs the authentication step (acc-edge)"
)

PATIENTS = [{"resourceType": "Patient", "id": p, "gender": "female"} for p in ("p1", "p2")]


class Smart:
    def __init__(self, client: AsyncClient, app: Any, issuer: Any) -> None:
        self.client, self.app, self.issuer = client, app, issuer

    def bearer(self, scope: str, **claims: Any) -> dict[str, str]:
        return tokens.bearer(self.issuer.token(scope=scope, **claims))  # type: ignore[no-any-return]

    async def events(self) -> list[Json]:
        """The trail so far (stops the writer: call once, at the end)."""
        await self.app.state.auditor.writer.stop()
        services: Services = self.app.state.services
        store = services.storage.audit
        documents = await store.fetch({}, sort=[("index.date.start", 1)])
        return [store.to_version(d).resource for d in documents]  # type: ignore[misc]


@pytest.fixture
async def smart(tmp_path: Path) -> AsyncIterator[Smart]:
    issuer = tokens.TestIssuer.shared()
    context = issuer.client(tmp_path)  # AUDIT unset: on, as AUTH_MODE is smart
    async with context as client:
        services: Services = context.app.state.services
        for patient in PATIENTS:  # as the CLI would: trusted, no request, no event
            await resources.update(services.store("Patient"), patient["id"], patient)
        yield Smart(client, context.app, issuer)


async def test_each_request_leaves_its_event_with_the_token_s_identity(
    smart: Smart, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = smart.issuer.token(scope="patient/*.rs", patient="p1", fhirUser="Patient/p1")
    allowed = await smart.client.get("/Patient/p1", headers=tokens.bearer(token))
    refused = await smart.client.get("/Patient/p1")
    forbidden = await smart.client.delete("/Patient/p1", headers=tokens.bearer(token))
    assert (allowed.status_code, refused.status_code, forbidden.status_code) == (200, 401, 403)
    read, unauthenticated, delete = await smart.events()

    assert (read["action"], read["outcome"]) == ("R", "0")
    [agent] = read["agent"]
    assert agent["who"]["identifier"] == {"value": "test-client"}
    assert agent["who"]["reference"] == "Patient/p1"
    assert agent["altId"] == "test-client"
    assert [e["what"] for e in read["entity"][:1]] == [{"reference": "Patient/p1"}]

    assert (unauthenticated["action"], unauthenticated["outcome"]) == ("R", "4")
    assert unauthenticated["outcomeDesc"].startswith("GET /fhir/Patient/p1 401")
    assert "who" not in unauthenticated["agent"][0]

    assert (delete["action"], delete["outcome"]) == ("D", "8")

    text = json.dumps([read, unauthenticated, delete])
    assert token not in text
    for record in caplog.records:
        if not record.name.startswith("httpx"):  # httpx logs what the client sends
            assert token not in record.getMessage() + repr(record.args)


@pytest.mark.parametrize(
    "scope",
    [
        pytest.param("system/*.rs", id="system-star"),
        pytest.param("user/*.rs user/AuditEvent.rs", id="user"),
    ],
)
async def test_only_a_system_scope_naming_audit_event_reads_the_trail(
    smart: Smart, scope: str
) -> None:
    await smart.client.get("/Patient/p1", headers=smart.bearer("system/*.rs"))
    await asyncio.sleep(0.7)  # the writer's timer: the event is stored
    refused = await smart.client.get("/AuditEvent", headers=smart.bearer(scope))
    assert refused.status_code == 403, refused.text
    auditor = smart.bearer("system/AuditEvent.rs")
    found = await smart.client.get("/AuditEvent?subtype=read&outcome=0", headers=auditor)
    assert found.status_code == 200, found.text
    assert [e["resource"]["entity"][0]["what"] for e in found.json()["entry"]] == [
        {"reference": "Patient/p1"}
    ]


async def test_a_bulk_export_of_every_type_leaves_the_trail_out(smart: Smart) -> None:
    exporter = smart.bearer("system/*.rs")
    await smart.client.get("/Patient/p1", headers=exporter)
    await asyncio.sleep(0.7)  # the writer's timer: the trail holds an event
    auditor = smart.bearer("system/AuditEvent.rs")
    assert (await smart.client.get("/AuditEvent", headers=auditor)).json()["total"] >= 1
    started = await smart.client.get("/$export", headers={**exporter, "Prefer": "respond-async"})
    assert started.status_code == 202, started.text
    for _ in range(500):
        status = await smart.client.get(started.headers["Content-Location"], headers=exporter)
        if status.status_code != 202:
            break
        await asyncio.sleep(0.01)
    assert status.status_code == 200, status.text
    types = {output["type"] for output in status.json()["output"]}
    assert "Patient" in types
    assert "AuditEvent" not in types
