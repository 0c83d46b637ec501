"""`fhir-gateway import`: Bundles and Bulk Data NDJSON (plain or gzip) into the gateway.

With `MONGODB_URI` (or `--mongodb-uri`) it writes straight into that database, through the
gateway's own validation, mapping and store (the fast path). With `--url` it sends batch
Bundles to a running gateway. With neither it targets the gateway on its default local address,
so `fhir-gateway serve` in one terminal and `fhir-gateway import labs/` in another just work.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.cli.counts import counts_table
from gateway.cli.in_flight import IN_FLIGHT
from gateway.services.context import open_services
from gateway.services.imports.pipeline import Importer
from gateway.services.imports.preparation import Preparer
from gateway.services.imports.readers import Item, expand, read
from gateway.services.imports.report import OUTCOMES, Failure, Report
from gateway.settings import Settings

DEFAULT_URL = "http://127.0.0.1:8080/fhir"
console = Console(stderr=True)


def import_command(
    paths: Annotated[list[str], typer.Argument(help="Files, directories (recursive) or globs.")],
    *,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from", help="A seed app's records (JSON, or its SQLite file), e.g. medrecord."
        ),
    ] = None,
    url: Annotated[str | None, typer.Option(help="A running gateway's FHIR base.")] = None,
    mongodb_uri: Annotated[
        str | None, typer.Option(help="Write straight into this MongoDB.")
    ] = None,
    errors: Annotated[Path | None, typer.Option(help="Write failures here as NDJSON.")] = None,
    dry_run: Annotated[bool, typer.Option(help="Validate and map; write nothing.")] = False,
    keep_ids: Annotated[bool, typer.Option(help="Keep the source files' ids.")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Resources per write batch.")] = 500,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes validating, mapping and indexing batches beside the one writing "
            "(direct import; default: 2 on 2 cores or more, where it is ~50 % faster than 0).",
        ),
    ] = None,
    in_flight: Annotated[
        int,
        typer.Option(
            min=1,
            help="Batches at the gateway at once over HTTP (--url), the next prepared meanwhile.",
        ),
    ] = IN_FLIGHT,
) -> None:
    """Import Bundles and NDJSON; a bad line or entry is reported, never fatal. With --from, a
    seed app's records: a bad file stores nothing and the exit code is 2."""
    try:
        files = expand(paths)
    except FileNotFoundError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=2) from error
    uri = mongodb_uri or os.environ.get("MONGODB_URI")
    if url and uri:
        console.print("[red]Give either --url or a MongoDB URI, not both.[/red]")
        raise typer.Exit(code=2)
    if from_ is not None:
        from gateway.cli.apps import import_apps

        import_apps(from_, files, uri=uri, url=url or DEFAULT_URL, dry_run=dry_run)  # exits
    with _failure_log(errors) as on_failure:
        if not uri and not dry_run:
            from gateway.cli.remote import import_over_http

            report, seconds = import_over_http(files, url or DEFAULT_URL, on_failure=on_failure,
                                               keep_ids=keep_ids, batch_size=batch_size,
                                               announced=url is None, in_flight=in_flight)  # fmt: skip
        else:
            where = (
                "nowhere (dry run)" if dry_run and not uri else "MongoDB at " + _redacted(uri or "")
            )
            console.print(f"Importing {len(files)} file(s) into {where}.")
            report, seconds = asyncio.run(
                _direct(files, uri, on_failure=on_failure, dry_run=dry_run, keep_ids=keep_ids,
                        batch_size=batch_size, workers=default_workers() if workers is None else workers)
            )  # fmt: skip
    render_summary(report, seconds)
    raise typer.Exit(code=0 if report.ok else 1)


async def _direct(
    files: list[Path],
    uri: str | None,
    *,
    on_failure: Callable[[Failure], None],
    dry_run: bool,
    keep_ids: bool,
    batch_size: int,
    workers: int,
) -> tuple[Report, float]:
    services = await open_services(Settings(mongodb_uri=uri))
    started = time.perf_counter()
    with ExitStack() as stack:
        progress = stack.enter_context(_progress(len(files)))
        preparer = stack.enter_context(Preparer(workers, profiles=services.profiles))
        importer = Importer(services, keep_ids=keep_ids, dry_run=dry_run, batch_size=batch_size,
                            on_failure=on_failure, on_progress=progress.advance,
                            preparer=preparer)  # fmt: skip
        report = await importer.run(_items(files, progress))
    services.close()
    return report, time.perf_counter() - started


def _items(files: list[Path], progress: _Reporter) -> Iterator[Item]:
    for path in files:
        progress.file(path)
        yield from read(path)


@contextmanager
def _failure_log(errors: Path | None) -> Iterator[Callable[[Failure], None]]:
    """Where every target sends its failures: the `--errors` file as NDJSON, or nowhere
    (they are counted in the report all the same)."""
    if errors is None:
        yield lambda failure: None
        return
    with errors.open("wb") as sink:

        def record(failure: Failure) -> None:
            sink.write(orjson.dumps(failure.as_json()) + b"\n")

        yield record


class _Reporter:
    """A Rich progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, files: int) -> None:
        self.files, self.done, self.count, self.started = files, 0, 0, time.perf_counter()
        self.bar: Progress | None = None
        self.last_line = 0

    def __enter__(self) -> _Reporter:
        if console.is_terminal:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[resources]} resources, {task.fields[rate]}/s"),
                                TimeElapsedColumn(), console=console)  # fmt: skip
            self.bar.__enter__()
            self.task = self.bar.add_task("files", total=self.files, resources=0, rate=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)
            self.bar.__exit__(None, None, None)

    def file(self, path: Path) -> None:
        if self.count or self.done:
            self.done += 1
        if self.bar is None:
            console.print(f"reading {path}")
        else:
            self.bar.update(self.task, completed=self.done, description=path.name[:40])

    def advance(self, count: int) -> None:
        self.count += count
        rate = int(self.count / max(time.perf_counter() - self.started, 1e-9))
        if self.bar is not None:
            self.bar.update(self.task, resources=self.count, rate=rate)
        elif self.count - self.last_line >= 10_000:
            self.last_line = self.count
            console.print(f"{self.count} resources, {rate}/s")


def _progress(files: int) -> _Reporter:
    return _Reporter(files)


def render_summary(report: Report, seconds: float) -> None:
    console.print(counts_table(report.counts, OUTCOMES))
    rate = report.resources / seconds if seconds else 0.0
    console.print(f"{report.resources} resources in {seconds:.1f} s ({rate:.0f}/s); "
                  f"{report.failures} failed")  # fmt: skip


def default_workers() -> int:
    """2 where there are 2 cores or more: measured best on 2 cores (bench/bench_import.py),
    where the writing process and two preparing ones share the cores. None where the platform
    has no forkserver (Windows), which the workers start from."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return 0
    return 2 if (os.cpu_count() or 1) >= 2 else 0


def _redacted(uri: str) -> str:
    """A MongoDB URI without its password, for messages."""
    if "@" not in uri:
        return uri
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
