"""`fhir-gateway validate`: files checked offline as `POST [type]/$validate` checks a resource.

Files are read as `fhir-gateway import` reads them (Bundles, NDJSON, single resources, gzip;
streamed) and each resource gets the $validate findings (gateway.services.validation: structure,
invariants, R4's definition, claimed and required profiles, `--profile`). Findings are reported
in the import's error report format, one `{"file", "position", "outcome"}` per resource with
errors (`--warnings`: or warnings; `--format json`: exactly those lines, as `import --errors`
writes them). With `--workers`, batches are checked in worker processes started as the
import's are (gateway.services.validation_files).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from gateway.cli.importing import default_workers
from gateway.errors import GatewayError
from gateway.services.imports.readers import Item, expand, read
from gateway.services.imports.report import Failure, Report
from gateway.services.profiles import InvalidSetting, ProfilePolicy
from gateway.services.validation import check_profiles
from gateway.services.validation_files import validate_items
from gateway.settings import Settings

console = Console(stderr=True)
POOLED_BYTES = 8 * 1024 * 1024  # ~8,000 resources of NDJSON: worth starting worker processes


def validate_command(
    paths: Annotated[list[str], typer.Argument(help="Files, directories (recursive) or globs.")],
    *,
    profile: Annotated[
        list[str] | None, typer.Option(help="Also check against this profile (repeatable).")
    ] = None,
    format_: Annotated[
        str,
        typer.Option(
            "--format", help="text: a line per finding; json: the import's error report (NDJSON)."
        ),
    ] = "text",
    warnings: Annotated[
        bool, typer.Option(help="Also report resources with warnings only (exit code 0).")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes checking batches beside the one reading "
            "(default: as import, 2 on 2 cores or more, for inputs over 8 MB).",
        ),
    ] = None,
) -> None:
    """Validate FHIR resources in files without storing them; exit 1 if any has an error."""
    if format_ not in ("text", "json"):
        raise typer.BadParameter("`text` or `json`.", param_hint="--format")
    try:
        files = expand(paths)
        policy = ProfilePolicy.from_settings(Settings())
        profiles = tuple(profile or ())
        check_profiles(profiles)
    except (FileNotFoundError, InvalidSetting) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=2) from error
    except GatewayError as error:
        console.print(f"[red]{error.diagnostics}[/red]")
        raise typer.Exit(code=2) from error
    started = time.perf_counter()
    report = validate_items(_items(files), Report(_sink(format_)), policy=policy, profiles=profiles,
                            warnings=warnings,
                            workers=_workers(files) if workers is None else workers)  # fmt: skip
    _summary(report, time.perf_counter() - started)
    raise typer.Exit(code=0 if report.ok else 1)


def _workers(files: list[Path]) -> int:
    """The import's default for inputs over POOLED_BYTES; none below, where starting the
    workers (about a second and a half) would cost more than they save."""
    size = sum(path.stat().st_size for path in files)
    return default_workers() if size > POOLED_BYTES else 0


def _items(files: list[Path]) -> Iterator[Item]:
    for path in files:
        yield from read(path)


def _sink(format_: str) -> Callable[[Failure], None]:
    """Where each resource's findings go: stdout, as text lines or as the NDJSON report."""
    if format_ == "json":
        return lambda failure: print(orjson.dumps(failure.as_json()).decode())  # noqa: T201
    return lambda failure: sys.stdout.writelines(_lines(failure))


def _lines(failure: Failure) -> Iterator[str]:
    """`file position: severity [expression] diagnostics`, one line per issue."""
    for issue in failure.outcome.get("issue", []):
        where = f" {issue['expression'][0]}" if issue.get("expression") else ""
        yield f"{failure.source} {failure.position}: {issue['severity']}{where}: {issue['diagnostics']}\n"


def _summary(report: Report, seconds: float) -> None:
    valid = sum(counts["valid"] for counts in report.counts.values())
    rate = report.resources / seconds if seconds else 0.0
    console.print(f"{report.resources} resources in {seconds:.1f} s ({rate:.0f}/s): "
                  f"{valid} valid, {report.failures} with errors")  # fmt: skip
