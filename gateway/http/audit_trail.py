"""The audit trail at the HTTP edge: one AuditEvent per request, written off the request path.

Issue 13, part 5. `audit_trail(app, services)` runs for the application's life (its lifespan):
with AUDIT on it starts an `AuditWriter` (gateway.auth.audit_writer) whose batches go to the
AuditEvent store's `append` (gateway.store.audit), and stops it (flushing what is queued) at
shutdown. `Auditor.record` turns what the envelope (gateway.http.envelope) knows of a finished
request into an `AuditRecord` and queues it (the writer builds and stores the events a batch at
a time, so the request pays for the record alone): the method, the path, the query, the status,
the client's address, the request id, and what the authentication step left in the request's
state (`grant`: the token's client, subject, fhirUser and patient; or `auth_failure`: why the
token was refused). Never a body, never the Authorization header: the envelope does not give
them, and an `access_token` query parameter (which SMART does not allow, and some clients
send anyway) is cut from the recorded query.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.types import Scope

from gateway.auth.audit_writer import AuditWriter
from gateway.auth.grant import Grant
from gateway.http.audit_paths import Classified, classify
from gateway.jsonio import dumps
from gateway.metrics import Metrics
from gateway.services.context import Services
from mappers.audit_event import AuditRecord, audit_event, outcome_of

log = logging.getLogger("gateway.audit")
OBSERVER = "FHIR R4 gateway"
_SECRET_PARAMETER = "access_token"


class Auditor:
    """Builds each request's AuditEvent and hands it to the writer (never raises, never awaits)."""

    def __init__(self, writer: AuditWriter[AuditRecord], *, base: str, observer: str) -> None:
        self.writer, self.base, self.observer = writer, base, observer

    def record(
        self,
        scope: Scope,
        found: Classified,
        *,
        status: int,
        request_id: str,
        location: str | None = None,
    ) -> None:
        """Queue the record of the request `scope`, classified as `found` by the envelope,
        answered with `status` (`location`: the Location header of a create, naming the
        resource made)."""
        try:
            record = self.audit_record(
                scope, status=status, request_id=request_id, location=location, found=found
            )
            if record is not None:
                self.writer.record(record)
        except Exception:  # a bug here must not fail the request; say what went unrecorded
            log.exception(
                "audit event not recorded: %s %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                status,
                request_id,
            )

    def audit_record(
        self,
        scope: Scope,
        *,
        status: int,
        request_id: str,
        location: str | None = None,
        found: Classified | None = None,
    ) -> AuditRecord | None:
        """The record of one request (`found`: its classification, made here when not given);
        None for a path that is not audited."""
        method: str = scope["method"]
        path: str = scope["path"]
        found = found or classify(method, path, base=self.base)
        if found is None:
            return None
        state: dict[str, Any] = scope.get("state") or {}
        grant = state.get("grant")
        grant = grant if isinstance(grant, Grant) else None
        failure = state.get("auth_failure")
        resource_type, resource_id = found.resource_type, found.resource_id
        if location and found.interaction == "create":
            resource_id = _created_id(location, resource_type) or resource_id
        patients = [p for p in (grant and grant.patient, found.patient) if p]
        if resource_type == "Patient" and resource_id:
            patients.append(resource_id)  # a created Patient's id, from its Location
        client = scope.get("client")
        return AuditRecord(
            interaction=found.interaction,
            action=found.action,
            outcome=outcome_of(status),
            recorded=datetime.now(UTC),
            method=method,
            path=path,
            query=_query(scope.get("query_string", b"")),
            status=status,
            client_id=grant.client_id if grant else None,
            subject=grant.subject if grant else None,
            fhir_user=grant.fhir_user if grant else None,
            source_address=client[0] if client else None,
            resource_type=resource_type,
            resource_id=resource_id,
            patients=tuple(dict.fromkeys(patients)),
            request_id=request_id,
            description=failure if isinstance(failure, str) and failure else None,
        )


def _query(raw: bytes) -> str | None:
    """The query as sent (decoded for reading), less any `access_token` parameter."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "access" in text:  # cheap first: `access_token` or its escaped forms
        kept = [p for p in text.split("&") if unquote(p.split("=", 1)[0]) != _SECRET_PARAMETER]
        text = "&".join(kept)
    return text or None


def _created_id(location: str, resource_type: str | None) -> str | None:
    """The id in a create's Location (`{base}/{type}/{id}/_history/{version}`)."""
    parts = location.split("/")
    if resource_type and resource_type in parts:
        at = len(parts) - 1 - parts[::-1].index(resource_type)
        if at + 1 < len(parts) and parts[at + 1]:
            return parts[at + 1]
    return None


@asynccontextmanager
async def audit_trail(app: Starlette, services: Services) -> AsyncIterator[None]:
    """With AUDIT on, audit every request of `app` for the block's duration (its lifespan):
    `app.state.auditor` is what the envelope records through; stopped, the writer flushes."""
    settings = services.settings
    if not settings.effective_audit:
        yield
        return
    store, observer = services.storage.audit, settings.fhir_base_url or OBSERVER

    metrics: Metrics | None = app.state.metrics
    written, dropped = (
        (metrics.audit_events.labels("written"), metrics.audit_events.labels("dropped"))
        if metrics is not None
        else (None, None)
    )

    async def write(records: list[AuditRecord]) -> None:
        await store.append(records, observer=observer)
        if written is not None:
            written.inc(len(records))

    def describe(record: AuditRecord) -> str:  # what is logged of an event not stored
        if dropped is not None:
            dropped.inc()
        return dumps(audit_event(record, id="not-stored", observer=observer)).decode()

    writer = AuditWriter(write, logger=log, describe=describe)
    writer.start()
    base = settings.fhir_base_path.rstrip("/")
    app.state.auditor = Auditor(writer, base=base, observer=observer)
    try:
        yield
    finally:
        app.state.auditor = None
        await writer.stop()
