"""`fhir-gateway export --to {app} [--patient ID] OUT`: a seed app's records out, as one JSON
file of the shape `import --from` and `POST /apps/{app}/records` take.

One patient (by the app's own id or a FHIR Patient id), or every patient with rows in the app's
shape, merged: each row once (a provider two patients share, linked patients).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from gateway.cli.apps import console
from gateway.errors import GatewayError
from gateway.jsonio import Json, dumps
from gateway.services.apps.registry import app_adapter
from gateway.settings import Settings


def export_apps(
    settings: Settings, app: str, out: Path, *, patient: str | None, since: datetime | None
) -> None:
    """The `export --to` command: one patient's records, or every patient's, as one JSON file."""
    try:
        app_adapter(app)
        rows = asyncio.run(_export(settings, app, patient=patient, since=since))
    except GatewayError as error:
        for issue in error.issues:
            console.print(f"[red]{issue.diagnostics}[/red]")
        raise typer.Exit(code=2) from error
    out.write_bytes(dumps(rows, pretty=True, newline=True))
    table = Table(title=f"Exported to {out}")
    table.add_column("entity")
    table.add_column("rows", justify="right")
    for entity, found in rows.items():
        table.add_row(entity, str(len(found)))
    Console().print(table)


async def _export(
    settings: Settings, app: str, *, patient: str | None, since: datetime | None
) -> Json:
    from gateway.services.apps.export import MergedRecords, all_records, records_of
    from gateway.services.context import open_services

    services = await open_services(settings)
    try:
        if patient is not None:
            return await records_of(services, app, patient=patient, since=since)
        merged = MergedRecords()
        async for rows in all_records(services, app, since=since):
            merged.add(rows)
        entities = app_adapter(app).entities
        return {e.name: merged.records[e.name] for e in entities if e.name in merged.records}
    finally:
        services.close()
