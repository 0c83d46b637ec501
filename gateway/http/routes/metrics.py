"""`GET /metrics`: the app's metrics in Prometheus' text exposition format (issue 14, part 5).

https://prometheus.io/docs/instrumenting/exposition_formats/. Beside the probes at the server
root, not under the FHIR base: Prometheus' default `metrics_path`, and no FHIR interaction.

Access. Like every non-public route it passes the one authentication step (gateway.http.methods
`route()`): with AUTH_MODE=smart a valid token, and here one with a `system/` scope. The
metrics add up every client's activity (requests by type and status, imports, exports), which
no `patient/` or `user/` grant covers; the Prometheus server scraping them is a backend service,
which SMART gives `system/` scopes (Backend Services), and it sends its token from a file
(`authorization.credentials_file`). With AUTH_MODE=off the route is open, as the API is.

Not audited (gateway.http.audit_paths), as the probes are not: the answer names no patient and
no record, and Prometheus scrapes every 15-60 s, which would add thousands of AuditEvents a day
per instance to a trail kept to show who touched whose data. A refused scrape still counts as a
401 or 403 in the metrics themselves.

Several workers: with PROMETHEUS_MULTIPROC_DIR set (gateway.metrics) each scrape collects every
worker's values from that directory, so any worker answers for all.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.errors import Forbidden
from gateway.http.audit_paths import METRICS as METRICS_PATH
from gateway.http.methods import Endpoint, route
from gateway.metrics import Metrics, multiprocess
from gateway.services.access import current


def paths() -> list[tuple[str, dict[str, Endpoint]]]:
    """What `routes()` serves and the OpenAPI document describes."""
    return [(METRICS_PATH, {"GET": metrics})]


def routes() -> list[Route]:
    return [route(path, handlers) for path, handlers in paths()]


async def metrics(request: Request) -> Response:
    """The exposition the scraper asks for (Prometheus text, or OpenMetrics by `Accept`)."""
    _check_system_scope()
    app_metrics: Metrics = request.app.state.metrics
    app_metrics.flush()  # the requests the envelope has noted, not yet counted
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    body = await asyncio.to_thread(encode, _registry(app_metrics))  # off the event loop
    return Response(body, headers={"Content-Type": content_type})


def _registry(app_metrics: Metrics) -> CollectorRegistry:
    """This app's registry; with several workers, every worker's values read from their files
    (prometheus-client's multiprocess mode: a fresh registry per scrape, as it documents)."""
    if not multiprocess():
        return app_metrics.registry
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped in the client
    return registry


def _check_system_scope() -> None:
    access = current()
    if access.unrestricted or any(scope.context == "system" for scope in access.grant.scopes):
        return
    raise Forbidden(
        "The metrics need a `system/` scope: they count every client's requests, which a"
        " `patient/` or `user/` token does not cover.",
        code="MSG_AUTH_SCOPE",
    )
