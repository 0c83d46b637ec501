"""`fhir-gateway reindex`: rebuild stored resources' search keys after an upgrade.

Reads and rewrites MongoDB directly (`MONGODB_URI` or `--mongodb-uri`), through the write path's
own mapping and indexer (gateway.services.reindex). A killed run continues where it stopped when
started again; `--restart` starts over.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from gateway.cli.database import server_settings
from gateway.errors import GatewayError
from gateway.services import reindex as service
from gateway.services.context import Services, open_services
from gateway.settings import Settings

console = Console(stderr=True)


def reindex_command(
    *,
    type_: Annotated[
        list[str] | None,
        typer.Option("--type", help="Only this resource type (repeatable; default: all stored)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Documents per batch.")] = (
        service.BATCH_SIZE
    ),
    restart: Annotated[
        bool, typer.Option(help="Start from the beginning, not where a killed run stopped.")
    ] = False,
    mongodb_uri: Annotated[
        str | None, typer.Option(help="MongoDB to reindex (default: MONGODB_URI).")
    ] = None,
) -> None:
    """Rebuild the search keys (index, sort, derived views) of stored resources."""
    try:
        types = service.check_types(type_) if type_ else None
    except GatewayError as error:
        raise typer.BadParameter(error.diagnostics, param_hint="--type") from error
    settings = server_settings(mongodb_uri, work="reindex", console=console)
    try:
        results = asyncio.run(_run(settings, types=types, batch_size=batch_size, restart=restart))
    except KeyboardInterrupt:
        console.print("Stopped. Run the same command again to continue where it stopped.")
        raise typer.Exit(code=130) from None
    render(results)
    if any(result.failed for result in results):
        raise typer.Exit(code=1)


async def open_for_reindex(settings: Settings) -> Services:
    """The services a run works on (tests substitute a populated embedded store)."""
    return await open_services(settings)


async def _run(
    settings: Settings, *, types: list[str] | None, batch_size: int, restart: bool
) -> list[service.TypeReindexed]:
    services = await open_for_reindex(settings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    try:
        with Progress(*columns, console=console) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(progress: service.Progress) -> None:
                name = progress.resource_type
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=progress.total)
                bar.update(tasks[name], completed=progress.done)

            return await service.reindex(
                services, types=types, batch_size=batch_size, restart=restart, progress=advance
            )
    finally:
        services.close()


def render(results: list[service.TypeReindexed]) -> None:
    """The summary: a row per type, then the reasons of the failures."""
    table = Table(title="Reindexed")
    for column in ("type", "read", "rewritten", "unchanged", "superseded", "failed"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for r in results:
        resumed = f" (resumed after {r.resumed_after})" if r.resumed_after else ""
        counts = (r.read, r.rewritten, r.unchanged, r.superseded, r.failed)
        table.add_row(r.resource_type + resumed, *(f"{n:,}" for n in counts))
    Console().print(table)
    if not results:
        console.print("No stored resources of the types asked for.")
    for r in results:
        for resource_id, reason in r.reasons:
            console.print(f"[red]{r.resource_type}/{resource_id}[/red]: {reason}")
        if r.failed > len(r.reasons):
            console.print(f"... and {r.failed - len(r.reasons):,} more {r.resource_type}")
