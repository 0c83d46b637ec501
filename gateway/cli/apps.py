"""`fhir-gateway import --from {app} FILE…`: a seed app's records into the gateway.

Each FILE is the JSON records object `POST /apps/{app}/records` takes, or (NoraHealth keeps its
data in SQLite) the app's SQLite database file itself, recognised by its header. With a MongoDB
URI each file is stored straight through the apps service (gateway.services.apps, no entry
limit); without one it is posted to the running gateway's `/apps/{app}/records`. A file is one
transaction: a bad one prints its issues and stores nothing, the others go on; exit code 2 then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.cli.counts import counts_table
from gateway.errors import GatewayError
from gateway.jsonio import Json, dumps, loads
from gateway.services.apps.registry import app_adapter
from gateway.services.apps.sqlite import is_sqlite, read_database
from gateway.settings import Settings

console = Console(stderr=True, soft_wrap=True)  # a message names whole paths and issues
OUTCOMES = ("created", "updated", "unchanged", "deleted")
Store = Callable[[Json], Json]  # one file's records -> the service's answer (raises on refusal)


@dataclass(slots=True)
class AppReport:
    """What the files did, summed: the tables printed at the end."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[tuple[str, str], int] = field(default_factory=dict)
    dropped: dict[tuple[str, str], int] = field(default_factory=dict)
    failed: list[Path] = field(default_factory=list)

    def add(self, answer: Json) -> None:
        for resource_type, counts in answer["resources"].items():
            here = self.counts.setdefault(resource_type, dict.fromkeys(OUTCOMES, 0))
            for outcome in OUTCOMES:  # a gateway older than `deleted` does not say it
                here[outcome] += counts.get(outcome, 0)
        for skip in answer["skipped"]:
            key = (skip["entity"], skip["reason"])
            self.skipped[key] = self.skipped.get(key, 0) + skip["rows"]
        for drop in answer["dropped"]:
            key = (drop["entity"], drop["field"])
            self.dropped[key] = self.dropped.get(key, 0) + drop["rows"]


def import_apps(app: str, files: list[Path], *, uri: str | None, url: str, dry_run: bool) -> None:
    """The `import --from` command: store each file, print the report, exit 0 or 2."""
    try:
        adapter = app_adapter(app)
    except GatewayError as error:
        console.print(f"[red]{error.diagnostics}[/red]")
        raise typer.Exit(code=2) from error
    report = AppReport()
    if uri or dry_run:
        where = "nowhere (dry run: an empty in-process store)" if dry_run else "MongoDB"
        console.print(f"Importing {len(files)} {adapter.title} file(s) into {where}.")
        asyncio.run(_direct(app, files, report, uri=None if dry_run else uri))
    else:
        _over_http(app, files, report, url)
    _render(report)
    raise typer.Exit(code=2 if report.failed else 0)


async def _direct(app: str, files: list[Path], report: AppReport, *, uri: str | None) -> None:
    from gateway.services.apps.ingest import store_records
    from gateway.services.context import open_services

    services = await open_services(Settings(mongodb_uri=uri))
    try:
        with _progress(len(files)) as advance:
            for path in files:
                records = _records(app, path, report)
                if records is not None:
                    try:
                        report.add(await store_records(services, app, records, max_entries=None))
                    except GatewayError as error:
                        _refused(path, report, [i.diagnostics for i in error.issues])
                advance(path)
    finally:
        services.close()


def _over_http(app: str, files: list[Path], report: AppReport, url: str) -> None:
    parts = urlsplit(url)
    endpoint = f"{parts.scheme}://{parts.netloc}/apps/{app}/records"
    console.print(f"Importing {len(files)} file(s) into the gateway at {endpoint}.")
    headers = {"Content-Type": "application/json"}
    with httpx.Client(timeout=300, headers=headers) as client, _progress(len(files)) as advance:
        for path in files:
            records = _records(app, path, report)
            if records is not None:
                _post(client, endpoint, path, records, report)
            advance(path)


def _post(
    client: httpx.Client, endpoint: str, path: Path, records: Json, report: AppReport
) -> None:
    try:
        response = client.post(endpoint, content=dumps(records))
    except httpx.HTTPError as error:
        console.print(f"[red]No gateway answers at {endpoint} ({error}). Start one with "
                      "`fhir-gateway serve`, or give --url or --mongodb-uri.[/red]")  # fmt: skip
        raise typer.Exit(code=2) from error
    answer = response.json()
    if response.status_code == 200:
        report.add(answer)
    else:
        issues = answer.get("issue", []) if isinstance(answer, dict) else []
        _refused(path, report, [i.get("diagnostics", "") for i in issues] or [response.text[:500]])


def _records(app: str, path: Path, report: AppReport) -> Json | None:
    """The file's records: its SQLite tables or its JSON; None (reported) when unreadable."""
    try:
        if is_sqlite(path):
            database = read_database(app_adapter(app), path)
            if database.unknown:
                console.print(f"{path}: tables that are no entity of `{app}`, not read: "
                              f"{', '.join(database.unknown)}")  # fmt: skip
            return database.records
        payload: Any = loads(path.read_bytes())
    except (OSError, ValueError, GatewayError) as error:
        _refused(path, report, [getattr(error, "diagnostics", str(error))])
        return None
    if not isinstance(payload, dict):
        _refused(path, report, ["expected a JSON object of entity name -> list of rows."])
        return None
    return payload


def _refused(path: Path, report: AppReport, issues: list[str]) -> None:
    report.failed.append(path)
    console.print(f"[red]{path}: refused, nothing of it was stored.[/red]")
    for issue in issues:
        console.print(f"  {issue}")


@contextmanager
def _progress(files: int) -> Iterator[Callable[[Path], None]]:
    """A Rich bar over the files on a terminal; a line per file otherwise."""
    if not console.is_terminal:
        yield lambda path: console.print(f"done: {path}")  # stored, or refused above
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("files", total=files)
        yield lambda path: bar.update(task, advance=1, description=path.name[:40])


def _render(report: AppReport) -> None:
    console.print(counts_table(report.counts, OUTCOMES))
    for (entity, reason), rows in report.skipped.items():
        console.print(f"skipped {rows} `{entity}` row(s): {reason}")
    for (entity, name), rows in report.dropped.items():
        console.print(f"dropped `{entity}.{name}` (a secret) from {rows} row(s)")
    if report.failed:
        console.print(f"[red]{len(report.failed)} file(s) refused.[/red]")
