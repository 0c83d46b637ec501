"""`fhir-gateway`: thin Typer commands over the services."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer
from rich.console import Console

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
console = Console(stderr=True)


@cli.callback()
def main() -> None:
    """FHIR R4 gateway: domain records in MongoDB, standard FHIR R4 outside."""


@cli.command()
def serve(
    *,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    demo: Annotated[bool, typer.Option(help="Load the demo patients at start-up.")] = False,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes (MongoDB only).")] = 1,
) -> None:
    """Serve the FHIR REST API with uvicorn."""
    import uvicorn

    from gateway.settings import Settings

    if demo:
        os.environ["DEMO_DATA"] = "true"
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    if settings.embedded:
        console.print(
            "[yellow]MONGODB_URI is not set: using the embedded in-process store. "
            "It is ephemeral (everything is lost when the server stops) and meant for trying "
            "the gateway and for tests.[/yellow]"
        )
        workers = 1
    console.print(f"FHIR base: http://{host}:{port}{settings.fhir_base_path}")
    uvicorn.run(
        "gateway.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
    )
