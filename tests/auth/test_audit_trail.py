"""The audit trail over HTTP: every request, allowed or refused, leaves one AuditEvent.

The authentication step (gateway.http.methods, another part of issue 13) leaves `grant` or
`auth_failure` in the request's state; `FakeAuthentication` stands in for it here, inside the
envelope as the real one is, so these tests hold the audit to the contract on its own.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from httpx import AsyncClient
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth.grant import grant_from_claims
from gateway.errors import Issue
from gateway.http.audit_trail import Auditor
from gateway.http.responses import FHIRResponse
from gateway.jsonio import Json
from gateway.services.context import Services
from gateway.store.audit import AuditStore
from mappers.audit_event import audit_event
from mappers.outcome import operation_outcome
from tests.conftest import api_client, make_settings

TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2lnbmF0dXJl"
CLAIMS = {
    "scope": "patient/*.rs",
    "patient": "p1",
    "client_id": "app-7",
    "sub": "user-9",
    "fhirUser": "Practitioner/doc1",
}
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female"}


class FakeAuthentication:
    """`Authorization: Bearer {claims JSON}` -> state.grant; `Bearer expired` -> a 401 with
    state.auth_failure; `X-Test-Forbid` -> a 403, as an out-of-scope request gets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        authorization = headers.get(b"authorization", b"").decode()
        if authorization == f"Bearer {TOKEN}":
            scope["state"]["auth_failure"] = "The access token has expired."
            await _outcome(401, "The access token has expired.")(scope, receive, send)
            return
        if authorization.startswith("Bearer {"):
            scope["state"]["grant"] = grant_from_claims(json.loads(authorization[7:]))
        if b"x-test-forbid" in headers:
            await _outcome(403, "No scope.")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _outcome(status: int, text: str) -> FHIRResponse:
    return FHIRResponse(operation_outcome([Issue(text, code="security")]), status_code=status)


def bearer(claims: dict[str, str] = CLAIMS) -> dict[str, str]:
    return {"Authorization": f"Bearer {json.dumps(claims)}"}


class Gateway:
    """A client on an app with AUDIT on, and the trail it wrote (`events()` stops the writer:
    read the trail once, at the end of a test)."""

    def __init__(self, client: AsyncClient, services: Services, app: Any) -> None:
        self.client, self.services, self.app = client, services, app

    async def events(self) -> list[Json]:
        await self.app.state.auditor.writer.stop()  # flushes what is queued
        documents = await self.services.storage.audit.fetch({}, sort=[("index.date.start", 1)])
        return [self.services.storage.audit.to_version(d).resource for d in documents]


@asynccontextmanager
async def gateway(**overrides: Any) -> AsyncIterator[Gateway]:
    context = api_client(make_settings(**{"audit": True, **overrides}))
    context.app.add_middleware(FakeAuthentication)
    async with context as client:
        yield Gateway(client, context.app.state.services, context.app)


@pytest.fixture
async def api() -> AsyncIterator[Gateway]:
    async with gateway() as opened:
        services: Services = opened.services
        await services.store("Patient").collection.insert_one({"_id": "seed"})  # noise-free
        yield opened


def entities(event: Json) -> list[Json]:
    return list(event.get("entity", []))


def whats(event: Json) -> list[str]:
    return [e["what"]["reference"] for e in entities(event) if "reference" in e.get("what", {})]


async def test_an_allowed_read_is_recorded_with_its_entities(api: Gateway) -> None:
    await api.client.put("/Patient/p1", json=PATIENT)
    r = await api.client.get("/Patient/p1?_elements=gender", headers={"X-Request-ID": "req-1"})
    assert r.status_code == 200, r.text
    [put, read] = await api.events()
    assert put["subtype"][0]["code"] == "update"
    assert (read["action"], read["outcome"], read["subtype"][0]["code"]) == ("R", "0", "read")
    assert read["outcomeDesc"] == "GET /fhir/Patient/p1 200"
    assert read["agent"][0]["network"] == {"address": "127.0.0.1", "type": "2"}
    assert whats(read) == ["Patient/p1"]
    [query] = [e for e in entities(read) if "query" in e]
    assert base64.b64decode(query["query"]) == b"_elements=gender"
    assert entities(read)[-1]["what"] == {"identifier": {"value": "req-1"}}


def scope(path: str, *, method: str = "GET", query: bytes = b"", **state: Any) -> dict[str, Any]:
    """The ASGI scope the envelope hands the auditor, with what authentication left in state."""
    return {
        "type": "http", "method": method, "path": path, "query_string": query, "headers": [],
        "client": ("10.1.2.3", 50000), "state": state,
    }  # fmt: skip


AUDITOR = Auditor(None, base="/fhir", observer="gw")  # type: ignore[arg-type]


def test_the_grant_names_the_agent_and_its_patient() -> None:
    grant = grant_from_claims(CLAIMS)
    record = AUDITOR.audit_record(
        scope("/fhir/Patient/p2/Observation", grant=grant), status=200, request_id="r"
    )
    assert record is not None
    assert (record.client_id, record.subject, record.fhir_user) == (
        "app-7",
        "user-9",
        "Practitioner/doc1",
    )
    assert record.source_address == "10.1.2.3"
    assert (record.interaction, record.resource_type, record.resource_id) == (
        "search-type", "Observation", None,
    )  # fmt: skip
    assert record.patients == ("p1", "p2")  # the token's patient, the compartment's
    event = audit_event(record, id="e", observer="gw")
    assert event["agent"][0]["who"] == {
        "reference": "Practitioner/doc1",
        "display": "Practitioner/doc1",
        "identifier": {"value": "app-7"},
    }
    assert event["agent"][0]["altId"] == "user-9"
    assert whats(event) == ["Patient/p1", "Patient/p2"]


def test_a_refusal_names_why_and_no_agent() -> None:
    record = AUDITOR.audit_record(
        scope("/fhir/Patient/p1", auth_failure="The access token has expired."),
        status=401,
        request_id="r",
    )
    assert record is not None
    assert record.description == "The access token has expired."
    assert (record.client_id, record.subject, record.fhir_user) == (None, None, None)
    assert record.patients == ("p1",)


@pytest.mark.parametrize(
    ("query", "recorded"),
    [
        pytest.param(b"", None, id="none"),
        pytest.param(b"a=1&access_token=x.y.z&b=2", "a=1&b=2", id="cut"),
        pytest.param(b"access%5Ftoken=x.y.z", None, id="encoded-name"),
        pytest.param(b"name=access_token", "name=access_token", id="as-a-value"),
    ],
)
def test_the_query_is_recorded_without_an_access_token(query: bytes, recorded: str | None) -> None:
    record = AUDITOR.audit_record(scope("/fhir/Patient", query=query), status=200, request_id="r")
    assert record is not None
    assert record.query == recorded


def test_a_create_names_what_it_made() -> None:
    record = AUDITOR.audit_record(
        scope("/fhir/Patient", method="POST"),
        status=201,
        request_id="r",
        location="http://gw/fhir/Patient/new-1/_history/1",
    )
    assert record is not None
    assert (record.action, record.resource_id, record.patients) == ("C", "new-1", ("new-1",))


@pytest.mark.parametrize(
    ("method", "url", "headers", "status", "action", "outcome", "subtype"),
    [
        pytest.param("GET", "/Observation?code=1", {}, 200, "E", "0", "search-type", id="search"),
        pytest.param("GET", "/Patient/nobody", {}, 404, "R", "4", "read", id="404"),
        pytest.param("DELETE", "/Patient/p1", {"X-Test-Forbid": "1"}, 403, "D", "8", "delete"),
        pytest.param(
            "GET", "/Patient/p1", {"Authorization": f"Bearer {TOKEN}"}, 401, "R", "4", "read"
        ),
        pytest.param("GET", "/metadata", {}, 200, "R", "0", "capabilities", id="metadata"),
        pytest.param("GET", "http://test/apps", {}, 200, "R", "0", "operation", id="apps"),
    ],
)
async def test_every_request_leaves_one_event(
    api: Gateway,
    method: str,
    url: str,
    headers: dict[str, str],
    status: int,
    action: str,
    outcome: str,
    subtype: str,
) -> None:
    r = await api.client.request(method, url, headers=headers)
    assert r.status_code == status, r.text
    [event] = await api.events()
    assert (event["action"], event["outcome"], event["subtype"][0]["code"]) == (
        action,
        outcome,
        subtype,
    )
    assert event["outcomeDesc"].startswith(f"{method} ")
    assert event["outcomeDesc"].split(": ")[0].endswith(f" {status}")
    assert entities(event)[-1]["what"] == {"identifier": {"value": r.headers["x-request-id"]}}


async def test_a_refused_token_is_recorded_with_why_and_never_the_token(
    api: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = await api.client.get(
        f"/Observation?patient=p1&access_token={TOKEN}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 401
    [event] = await api.events()
    assert event["outcomeDesc"] == ("GET /fhir/Observation 401: The access token has expired.")
    assert "who" not in event["agent"][0]
    [query] = [e for e in entities(event) if "query" in e]
    assert base64.b64decode(query["query"]) == b"patient=p1"
    assert TOKEN not in json.dumps(event)
    for record in caplog.records:
        if not record.name.startswith("httpx"):  # httpx logs the URL it sends: the client's
            assert TOKEN not in record.getMessage() + repr(record.args)


async def test_a_created_patient_is_an_entity(api: Gateway) -> None:
    created = await api.client.post("/Patient", json={"resourceType": "Patient"})
    assert created.status_code == 201
    new_id = created.headers["location"].split("/")[-3]
    [create] = await api.events()
    assert whats(create) == [f"Patient/{new_id}"]
    assert create["action"] == "C"


async def test_health_and_the_documentation_are_not_recorded(api: Gateway) -> None:
    for url in ("http://test/health", "/_docs", "/_openapi.json"):
        assert (await api.client.get(url)).status_code == 200
    assert await api.events() == []


async def test_a_limit_refusal_is_recorded() -> None:
    async with gateway(max_query_parameters=1) as opened:
        r = await opened.client.get("/Patient?a=1&b=2")
        assert r.status_code == 400
        [event] = await opened.events()
    assert event["outcomeDesc"] == "GET /fhir/Patient 400"


async def test_without_audit_nothing_is_recorded_and_no_writer_runs() -> None:
    context = api_client(make_settings())
    async with context as client:
        assert (await client.get("/Patient/p1")).status_code == 404
        assert context.app.state.auditor is None
        services: Services = context.app.state.services
        assert await services.storage.holding(["AuditEvent"]) == []


async def test_stopping_the_app_flushes_the_queue() -> None:
    context = api_client(make_settings(audit=True))
    async with context as client:
        services: Services = context.app.state.services
        for _ in range(3):
            await client.get("/Patient/p1")
    assert await services.storage.audit.count({}) == 3


async def test_a_store_failure_logs_each_event_at_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def down(self: AuditStore, *args: object, **kwargs: object) -> None:
        raise ConnectionError("audit store down")

    monkeypatch.setattr(AuditStore, "append", down)
    caplog.set_level(logging.ERROR, logger="gateway.audit")
    async with gateway() as opened:
        ids = [
            (await opened.client.get(f"/Patient/p{n}", headers=bearer())).headers["x-request-id"]
            for n in range(3)
        ]
        ids.append(
            (
                await opened.client.get("/Patient/p1", headers={"Authorization": f"Bearer {TOKEN}"})
            ).headers["x-request-id"]
        )
        await opened.app.state.auditor.writer.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.audit"]
    assert len(lines) == 4
    for request_id, line in zip(ids, lines, strict=True):
        assert line.startswith("audit event not written (the audit write failed: ConnectionError")
        assert request_id in line
        assert TOKEN not in line
