"""`fhir-gateway`: thin Typer commands over the services."""

from __future__ import annotations

import asyncio
import atexit
import logging
import logging.config
import math
import os
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from gateway.settings import Settings

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
console = Console(stderr=True)


from gateway.cli.importing import import_command  # noqa: E402 (the command registry)
from gateway.cli.reindex import reindex_command  # noqa: E402
from gateway.cli.tokens import keys_cli, token_command  # noqa: E402
from gateway.cli.validate import validate_command  # noqa: E402

cli.command("import")(import_command)
cli.command("reindex")(reindex_command)
cli.command("validate")(validate_command)
cli.command("token")(token_command)
cli.add_typer(keys_cli, name="keys")


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
    from gateway.auth.refusal import StartupRefused, authenticator_for
    from gateway.logging_format import logging_config

    settings = Settings()
    log_config = logging_config(log_format=settings.log_format, level=settings.log_level)
    logging.config.dictConfig(log_config)
    try:
        authenticator_for(settings)  # before uvicorn: refuse with the reasons, exit code 2
    except StartupRefused as refusal:
        for problem in refusal.problems:
            console.print(problem, style="red", markup=False, highlight=False)
        raise typer.Exit(code=2) from None
    if settings.embedded:
        console.print(
            "[yellow]MONGODB_URI is not set: using the embedded in-process store. "
            "It is ephemeral (everything is lost when the server stops) and meant for trying "
            "the gateway and for tests.[/yellow]"
        )
        workers = 1
    if workers > 1 and settings.metrics:
        _metrics_across_workers()
    console.print(f"FHIR base: http://{host}:{port}{settings.fhir_base_path}")
    uvicorn.run(
        "gateway.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        log_config=log_config,  # uvicorn's loggers too, in every worker (LOG_FORMAT)
        # On SIGTERM uvicorn waits this long for requests in flight, then cancels them and
        # runs the lifespan's shutdown (the audit's last flush); unset, it would wait forever.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_seconds),
    )


def _metrics_across_workers() -> None:
    """prometheus-client's multiprocess mode for `--workers N`: each worker keeps its values in
    files under PROMETHEUS_MULTIPROC_DIR and `/metrics` adds every worker's up. The directory
    must start empty (an earlier run's counts would be added): a fresh temporary one, removed at
    exit, unless the operator named one, whose `.db` files are then cleared."""
    from gateway.metrics import MULTIPROCESS_DIR

    named = os.environ.get(MULTIPROCESS_DIR)
    if named:
        for stale in Path(named).glob("*.db"):
            stale.unlink()
        return
    directory = tempfile.mkdtemp(prefix="fhir-gateway-metrics-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ[MULTIPROCESS_DIR] = directory  # the workers are spawned: they inherit it


@cli.command()
def export(
    outdir: Annotated[
        Path,
        typer.Argument(
            help="Directory for the NDJSON files (made if missing); with --to, the file."
        ),
    ],
    *,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Write a seed app's records (JSON), e.g. medrecord, to OUTDIR."),
    ] = None,
    type_: Annotated[
        list[str] | None, typer.Option("--type", help="Only this resource type (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only resources updated after this FHIR instant.")
    ] = None,
    patient: Annotated[
        list[str] | None, typer.Option(help="Only this Patient id's compartment (repeatable).")
    ] = None,
    gzip: Annotated[bool, typer.Option(help="Write gzip-compressed .ndjson.gz files.")] = False,
    mongodb_uri: Annotated[
        str | None, typer.Option(help="MongoDB to export from (default: MONGODB_URI).")
    ] = None,
) -> None:
    """Export the current resources as Bulk Data NDJSON, one file per type (Type.ndjson); with
    --to, a seed app's records as JSON (one --patient, by the app's id or FHIR id, or all)."""
    from gateway.cli.database import server_settings
    from gateway.domain.time import parse_range
    from gateway.errors import GatewayError

    settings = server_settings(
        mongodb_uri,
        work="export (a running gateway exports over HTTP: GET \\[base]/$export)",
        console=console,
    )
    try:
        since_at = parse_range(since)[0] if since else None
    except ValueError as error:
        raise typer.BadParameter(
            f"`{since}` is not a FHIR instant.", param_hint="--since"
        ) from error
    if to is not None:
        from gateway.cli.apps_export import export_apps

        if len(patient or ()) > 1:
            raise typer.BadParameter("--to takes one --patient at most.", param_hint="--patient")
        export_apps(settings, to, outdir, patient=patient[0] if patient else None, since=since_at)
        return
    started = time.perf_counter()
    try:
        counts = asyncio.run(
            _export(settings, outdir, types=type_, since=since_at, patient_ids=patient, gzip=gzip)
        )
    except GatewayError as error:
        console.print(f"[red]{error.diagnostics}[/red]")
        raise typer.Exit(code=2) from error
    _render_export(counts, time.perf_counter() - started, outdir)


async def _export(
    settings: Settings,
    outdir: Path,
    *,
    types: list[str] | None,
    since: datetime | None,
    patient_ids: list[str] | None,
    gzip: bool,
) -> dict[str, int]:
    from gateway.services.context import open_services
    from gateway.services.exports import NdjsonSink, export

    outdir.mkdir(parents=True, exist_ok=True)
    services = await open_services(settings)
    sink = NdjsonSink(outdir, gzip=gzip)
    base_urls = (settings.fhir_base_url,) if settings.fhir_base_url else ()
    try:
        with console.status("Exporting...") as status:
            return await export(services, types=types, since=since, patient_ids=patient_ids,
                                 sink=sink, base_urls=base_urls,
                                 progress=lambda p: status.update(p.describe()))  # fmt: skip
    finally:
        sink.close()
        services.close()


def _render_export(counts: dict[str, int], seconds: float, outdir: Path) -> None:
    from rich.table import Table

    table = Table(title=f"Exported to {outdir}")
    table.add_column("type")
    table.add_column("resources", justify="right")
    for resource_type, count in counts.items():
        table.add_row(resource_type, f"{count:,}")
    total = sum(counts.values())
    table.add_section()
    table.add_row("total", f"{total:,}")
    Console().print(table)
    rate = total / seconds if seconds > 0 else 0.0
    console.print(f"{total:,} resources in {seconds:.2f} s ({rate:,.0f} resources/s)")
