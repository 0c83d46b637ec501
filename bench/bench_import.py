"""Bulk import and export of generated lab Bundles against the validate-only floor.

The data set is bench.lab_bundles' transaction Bundles: Patients created on their MRN, CBC,
CMP, lipid and HbA1c DiagnosticReports and their Observations (`--observations`, default
100,000). Three figures, each a ratio against a floor measured in the same run, because these
machines are shared and noisy:

- **Import rate**: the CLI's direct path with `--workers` 0, 1 and 2 (gateway.services.imports.Importer: the readers,
  validation, mapping, conditional Patient matching, reference rewriting, batched
  `insert_many`) into an empty embedded store, against the validate-only floor: the same files
  through the same readers, every resource through fhir.resources `model_validate` and nothing
  else. Target: >= 50 % of the floor.
- **Peak memory**: the import's peak RSS in a fresh process at 10 % and 100 % of the data set,
  with `--workers` 0 and 2 (then each worker's peak too), with `--dry-run` (everything but the
  writes), because the embedded store keeps the database in
  the same process and would measure the data, not the import; with MongoDB the data lives in
  mongod. Target: flat as the input grows, under 300 MB. The full embedded import's peak is
  printed too, for what it is.
- **Export rate**: `fhir-gateway export`'s service (every stored resource as NDJSON per type)
  against the import rate and against the raw floor of reading the same documents and writing
  their stored JSON as lines.

Run: `.venv/bin/python -m bench.bench_import [--observations 100000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import orjson
from fhir.resources.R4B import get_fhir_model_class

from bench.lab_bundles import write_files
from gateway.services.context import Services, open_services
from gateway.services.exports import NdjsonSink, export
from gateway.services.imports.pipeline import Importer
from gateway.services.imports.preparation import Preparer
from gateway.services.imports.readers import read
from gateway.services.imports.report import Report
from gateway.settings import Settings

WORKERS = (0, 1, 2)  # preparing processes beside the writing one


def validate_only(files: list[Path]) -> float:
    """Seconds to read `files` and validate every resource with fhir.resources."""
    started = time.perf_counter()
    for path in files:
        for item in read(path):
            assert item.resource is not None, item.error
            get_fhir_model_class(item.resource["resourceType"]).model_validate(item.resource)
    return time.perf_counter() - started


async def import_files(
    files: list[Path], *, dry_run: bool = False, workers: int = 0
) -> tuple[Services, Report, float]:
    """A fresh embedded store, `files` imported into it; the seconds the import took."""
    services = await open_services(Settings(mongodb_uri=None))
    with Preparer(workers) as preparer:
        started = time.perf_counter()
        report = await Importer(services, dry_run=dry_run, preparer=preparer).run(
            item for path in files for item in read(path)
        )
        seconds = time.perf_counter() - started
        WORKER_PEAKS_MB[:] = [_peak_mb(pid) for pid in _worker_pids(preparer)]
    if not report.ok:
        raise SystemExit(f"{report.failures} resources failed to import")
    return services, report, seconds


async def export_rate(services: Services, directory: Path, rounds: int) -> tuple[float, float]:
    """Resources/s of the export service, and of the raw floor: every stored document read and
    written as a JSON line (the whole document: the domain types keep no `resource` blob, so
    dumping that field wrote `null` for them and made the floor a no-op). Best of `rounds`, the
    two alternating."""
    service_rates: list[float] = []
    raw_rates: list[float] = []
    for _ in range(rounds):
        sink = NdjsonSink(directory / "export")
        started = time.perf_counter()
        counts = await export(services, types=None, since=None, patient_ids=None, sink=sink)
        sink.close()
        service_rates.append(sum(counts.values()) / (time.perf_counter() - started))
        started, written = time.perf_counter(), 0
        with (directory / "raw.ndjson").open("wb") as raw:
            for resource_type in counts:
                collection = services.store(resource_type).collection
                async for document in collection.find({}):
                    raw.write(orjson.dumps(document, default=str) + b"\n")
                    written += 1
        raw_rates.append(written / (time.perf_counter() - started))
    return max(service_rates), max(raw_rates)


WORKER_PEAKS_MB: list[float] = []  # of the last import_files' worker processes


def _worker_pids(preparer: Preparer) -> list[int]:
    pool = preparer._pool  # a measurement's peek at the pool's processes
    return list(pool._processes) if pool is not None else []  # type: ignore[attr-defined]


def _peak_mb(pid: int | str) -> float:
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent at fork.
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def peak_rss_mb(files: list[Path], *, dry_run: bool, workers: int = 0) -> tuple[float, float]:
    """Peak RSS of an import of `files` in a fresh process, and the largest of its workers'."""
    command = [sys.executable, "-m", "bench.bench_import", "--measure-rss", f"--workers={workers}",
               *(["--dry-run"] if dry_run else []), *map(str, files)]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    main, worker = output.strip().splitlines()[-1].split()
    return float(main), float(worker)


def _measure_rss(files: list[Path], dry_run: bool, workers: int) -> None:
    asyncio.run(import_files(files, dry_run=dry_run, workers=workers))
    print(_peak_mb("self"), max(WORKER_PEAKS_MB, default=0.0))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--per-file", type=int, default=2_000, help="entries per Bundle file")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--measure-rss", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_rss:
        _measure_rss(args.files, args.dry_run, args.workers)
        return
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        small = write_files(directory / "small", args.observations // 10,
                            per_file=args.per_file, ndjson=False, gzip=False)  # fmt: skip
        data = write_files(directory / "full", args.observations,
                           per_file=args.per_file, ndjson=False, gzip=False)  # fmt: skip
        total = sum(data.counts.values())
        print(f"{len(data.files)} Bundle files: {dict(data.counts)} ({total} resources)")

        floors: list[float] = []
        imports: dict[int, list[float]] = {workers: [] for workers in WORKERS}
        for _ in range(args.rounds):  # alternate, so all see the same machine
            floors.append(total / validate_only(data.files))
            for workers in WORKERS:
                services, report, seconds = asyncio.run(import_files(data.files, workers=workers))
                imports[workers].append(total / seconds)
                created = Counter({t: c["created"] for t, c in report.counts.items()})
                if created != data.counts:
                    raise SystemExit(f"created {dict(created)}, expected {dict(data.counts)}")
        floor = max(floors)
        print(f"validate-only floor: {floor:8.0f} resources/s")
        for workers, rates in imports.items():
            rate = max(rates)
            print(f"import --workers {workers}: {rate:5.0f} resources/s = {rate / floor:.0%} of "
                  "the floor (target >= 50 %)")  # fmt: skip

        best_import = max(max(rates) for rates in imports.values())
        service_rate, raw_rate = asyncio.run(export_rate(services, directory, max(3, args.rounds)))
        print(f"export:              {service_rate:8.0f} resources/s = "
              f"{service_rate / raw_rate:.0%} of the raw floor ({raw_rate:.0f}/s), "
              f"{service_rate / best_import:.1f}x the best import rate")  # fmt: skip

        small_total = sum(small.counts.values())
        for workers in (0, 2):
            small_main, small_worker = peak_rss_mb(small.files, dry_run=True, workers=workers)
            full_main, full_worker = peak_rss_mb(data.files, dry_run=True, workers=workers)
            print(
                f"peak RSS, import --dry-run --workers {workers}: {small_main:.0f} MB at "
                f"{small_total} resources, {full_main:.0f} MB at {total} ({full_main / small_main:.2f}x "
                f"for {total / small_total:.0f}x the input; target flat, < 300 MB)"
                + (f"; each worker {small_worker:.0f} / {full_worker:.0f} MB, all "
                   f"{full_main + workers * full_worker:.0f} MB" if workers else "")
            )  # fmt: skip
        embedded_rss, _ = peak_rss_mb(data.files, dry_run=False)
        print(f"peak RSS, import into the embedded store (holds the data): {embedded_rss:.0f} MB")


if __name__ == "__main__":
    main()
