"""`create_app(settings)`: the FastAPI application serving the FHIR base.

The start-up rule for authorization (issue 13) is applied here, where every way of serving
(uvicorn's factory, tests; `serve` asks the same first) builds the app: settings the rule
refuses, or a JWKS file that cannot be read, stop `create_app` with `StartupRefused`
(gateway.auth.refusal). The authenticator is built here rather than in the lifespan, so the
refusal comes before anything listens, and an app driven without its lifespan (ASGI tests)
still authenticates.

Shutdown (issue 14): the lifespan marks the app draining and waits for the writes in flight
(gateway.http.shutdown) before the audit writer's last flush and before the store closes; the
app's metrics (gateway.metrics, METRICS=on) are bound for the lifespan's tasks and the store's
client, so their hooks count into this app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import ucum
from gateway.auth.refusal import authenticator_for
from gateway.collector import collecting_rarely
from gateway.http.audit_trail import audit_trail
from gateway.http.envelope import GatewayApp
from gateway.http.metrics import metrics_ended
from gateway.http.outcomes import install_error_handlers
from gateway.http.routes import apps, health, smart, table
from gateway.http.routes import metrics as metrics_route
from gateway.metrics import Metrics, counting_for
from gateway.request_context import install_log_record_factory
from gateway.services.bulk_jobs import ExportJobs
from gateway.services.context import open_services
from gateway.services.demo_load import load_demo
from gateway.settings import Settings

log = logging.getLogger(__name__)
OPEN_WARNING = (
    "AUTHORIZATION IS OFF: anyone who can reach this port can read and change every record"
    " (AUTH_MODE=off). Set AUTH_MODE=smart with AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_FILE"
    " or AUTH_JWKS_URL before real data comes near this gateway."
)

NO_TOKEN_ENDPOINT_WARNING = (
    "AUTH_TOKEN_ENDPOINT is not set: [base]/.well-known/smart-configuration cannot name the"
    " external provider's token endpoint, which SMART clients look for there."
)


def create_app(settings: Settings | None = None, *, envelope: bool = True) -> FastAPI:
    """The gateway; `envelope=False` leaves out the hardening and audit layer (benchmarks only)."""
    settings = settings or Settings()
    install_log_record_factory()  # every log record gets `request_id` (gateway.request_context)
    authenticator = authenticator_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not authenticator.enforcing:
            log.warning(OPEN_WARNING)
        elif settings.auth_signing_key_file is None and not settings.auth_token_endpoint:
            log.warning(NO_TOKEN_ENDPOINT_WARNING)
        with counting_for(app.state.metrics):  # before the store's client is made
            services = await open_services(settings)
            await asyncio.to_thread(ucum.warm)
            app.state.services = services
            app.state.export_jobs = ExportJobs.opened(services)  # stored: any worker answers
            if settings.demo_data:
                counts = await load_demo(services)
                log.info("Demo data loaded: %s", counts)
            try:
                with collecting_rarely(settings.gc_young_threshold, freeze=True):
                    async with audit_trail(app, services):  # AUDIT: gateway.http.audit_trail
                        yield
                        # Writes in flight end (and are audited) before the last flush.
                        await app.state.drain.drained(settings.shutdown_grace_seconds)
            finally:
                await app.state.export_jobs.close()
                services.close()
                metrics_ended(app.state.metrics)

    app = GatewayApp(
        envelope=settings if envelope else None,
        title="FHIR R4 gateway",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # the FHIR base serves its own, generated from the CapabilityStatement
        openapi_url=None,
        redoc_url=None,
    )
    app.state.authenticator = authenticator
    app.state.metrics = Metrics() if settings.metrics else None  # this app's own registry
    install_error_handlers(app)

    base = settings.fhir_base_path.rstrip("/")
    app.router.routes.append(table.instance_route(base))  # reads route first: see there
    app.router.routes.extend(health.routes())  # public probes, outside the FHIR base
    if settings.metrics:
        app.router.routes.extend(metrics_route.routes())  # beside the probes, authenticated
    app.router.routes.extend(apps.routes())  # beside the base, before its templates
    app.router.routes.extend(smart.routes(settings.fhir_base_path.rstrip("/")))  # public
    app.router.routes.extend(table.routes(settings.fhir_base_path.rstrip("/")))  # after /health
    return app
