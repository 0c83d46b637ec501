"""Liveness and readiness probes for load balancers and orchestrators (outside the FHIR base).

Kubernetes' probe contract (https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/):
*live* says the process answers and touches nothing, so a slow database never gets a healthy
process restarted; *ready* says this instance can serve now, so traffic is held back while
MongoDB does not answer, and once shutdown has begun (gateway.http.shutdown: the app drains).
`/health`, documented and probed by the Dockerfile's HEALTHCHECK, stays as an alias of live.

The probes are public (`route(public=True)`): probes carry no token, and the answers reveal
nothing but up or down: the reason names no host and no driver message (those go to the log).
They sit outside the FHIR base, so the audit does not record them (gateway.http.audit_paths).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.http.methods import Endpoint, route

log = logging.getLogger(__name__)

PING_TIMEOUT_SECONDS = (
    2.0  # under the Dockerfile's 3 s HEALTHCHECK timeout and common probe defaults
)
LIVE = {"status": "ok"}
DRAINING = "shutting down"


def paths() -> list[tuple[str, dict[str, Endpoint]]]:
    """The probes and their handlers: what `routes()` serves and the OpenAPI document
    describes (tests/api/test_openapi.py)."""
    return [
        ("/health", {"GET": live}),
        ("/health/live", {"GET": live}),
        ("/health/ready", {"GET": ready}),
    ]


def routes() -> list[Route]:
    return [route(path, handlers, public=True) for path, handlers in paths()]


async def live(request: Request) -> Response:
    """200 whenever the process answers: no I/O."""
    return JSONResponse(LIVE)


async def ready(request: Request) -> Response:
    """200 when the database answers a ping within PING_TIMEOUT_SECONDS, else 503; 503 too
    once shutdown has begun (gateway.http.shutdown), so a load balancer sends no more."""
    if request.app.state.drain.draining:
        reason: str | None = DRAINING
    else:
        reason = await unready_reason(getattr(request.app.state, "services", None))
    if reason is None:
        return JSONResponse(LIVE)
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)


async def unready_reason(services: Any) -> str | None:
    """Why this instance cannot serve now, or None when it can.

    `services` is the lifespan's `Services` (None before start-up finished). The embedded store
    lives in this process, so once opened it is always ready; MongoDB is asked `ping`, the
    cheapest command every server answers, bounded so a probe never hangs on server selection.
    """
    if services is None:
        return "starting"
    if services.settings.embedded:
        return None
    try:
        await asyncio.wait_for(ping(services.client), PING_TIMEOUT_SECONDS)
    except TimeoutError:
        log.warning(
            "Readiness: the database did not answer a ping within %s s.", PING_TIMEOUT_SECONDS
        )
        return "database did not answer in time"
    except Exception:  # any driver failure means not ready; a probe must never answer 500
        log.warning("Readiness: the database ping failed.", exc_info=True)
        return "database unreachable"
    return None


async def ping(client: Any) -> None:
    """The MongoDB `ping` command (https://www.mongodb.com/docs/manual/reference/command/ping/)."""
    await client.admin.command("ping")
