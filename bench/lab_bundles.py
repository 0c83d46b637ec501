"""Realistic lab results as transaction Bundles (or Bulk Data NDJSON) at any scale, identical
for a given seed.

Each Bundle is one patient's results as a lab interface sends them: the Patient, created on its
MRN (`ifNoneExist`), and DiagnosticReports for CBC, CMP, lipid panel and HbA1c draws, each
naming its Observations in `result`. Every Observation carries its LOINC code, a UCUM
valueQuantity, the reference range and an H/L/N interpretation computed from the value. All
references are `urn:uuid:` fullUrls (https://hl7.org/fhir/R4/bundle.html#references). The
analytes, units and ranges are gateway.demo's PANELS; the analytes a full CBC and CMP report
besides those are added here. Randomness comes only from `random.Random(seed)`, dates count
back from the demo's ANCHOR.

Run: `.venv/bin/python -m bench.lab_bundles OUTDIR --observations 100000 [--ndjson] [--gzip]`.
"""

from __future__ import annotations

import argparse
import gzip as gzip_module
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import orjson

from gateway import demo
from gateway.demo import LOINC, Measure, lab_measure
from gateway.jsonio import Json

BENCH = "http://fhir-gateway.org/bench"
DAYS = 730  # two years of draws before the anchor
ABNORMAL = 0.12  # the share of results drawn from an analyte's abnormal span
LAB_SECTION = "http://terminology.hl7.org/CodeSystem/v2-0074"
LABORATORY = {"system": demo.CATEGORY, "code": "laboratory", "display": "Laboratory"}


# fmt: off
# What a full CBC and CMP report holds besides gateway.demo's analytes; adult reference ranges.
# LOINC, display, short name, UCUM unit, usual span, decimals, low, high, an abnormal span
MORE_ANALYTES: dict[str, tuple[Measure, ...]] = {
    "cbc": (
        lab_measure("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "RBC", "10*6/uL", (4.3, 5.6), 2, 4.2, 5.9, (3.6, 4.1)),
        lab_measure("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "Hematocrit", "%", (38.5, 48.5), 1, 36.0, 52.0, (31.0, 35.4)),
        lab_measure("787-2", "MCV [Entitic volume] by Automated count", "MCV", "fL", (82, 96), 0, 80, 100, (102, 109)),
    ),
    "cmp": (
        lab_measure("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "BUN", "mg/dL", (9, 18), 0, 7, 20, (24, 38)),
        lab_measure("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "Calcium", "mg/dL", (8.9, 10.0), 1, 8.6, 10.3, (10.6, 11.4)),
        lab_measure("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "Chloride", "mmol/L", (100, 105), 0, 98, 107, (109, 113)),
        lab_measure("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "CO2", "mmol/L", (23, 28), 0, 22, 29, (17, 21)),
        lab_measure("1751-7", "Albumin [Mass/volume] in Serum or Plasma", "Albumin", "g/dL", (3.8, 4.8), 1, 3.5, 5.0, (2.8, 3.3)),
        lab_measure("2885-2", "Protein [Mass/volume] in Serum or Plasma", "Total protein", "g/dL", (6.4, 7.9), 1, 6.0, 8.3, (5.2, 5.8)),
        lab_measure("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "ALT", "U/L", (12, 40), 0, 7, 56, (68, 140)),
        lab_measure("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "AST", "U/L", (14, 32), 0, 10, 40, (52, 118)),
        lab_measure("6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "Alkaline phosphatase", "U/L", (50, 120), 0, 44, 147, (160, 240)),
        lab_measure("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "Total bilirubin", "mg/dL", (0.3, 1.0), 1, 0.1, 1.2, (1.5, 2.6)),
    ),
}
# The report's code: the panel's LOINC (HbA1c is reported under its one test's code).
REPORTS: dict[str, tuple[str, str, str]] = {
    "cbc": ("58410-2", "CBC panel - Blood by Automated count", "Complete blood count"),
    "cmp": ("24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma", "Comprehensive metabolic panel"),
    "lipids": ("57698-3", "Lipid panel with direct LDL - Serum or Plasma", "Lipid panel"),
    "hba1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "Hemoglobin A1c"),
}
# fmt: on
PANELS: dict[str, tuple[Measure, ...]] = {
    name: (*demo.PANELS[name], *MORE_ANALYTES.get(name, ())) for name in REPORTS
}
ORDER = tuple(REPORTS)  # a patient's reports cycle through the panels, one draw per round


@dataclass(frozen=True, slots=True)
class _Chart:
    number: int
    urn: str
    utc_offset: int
    lab: str

    def at(self, moment: datetime) -> str:
        return f"{moment:%Y-%m-%dT%H:%M:%S}{self.utc_offset:+03d}:00"


def bundles(patients: int, reports_per_patient: int, seed: int = 17) -> Iterator[Json]:
    """One transaction Bundle per patient: the Patient, `reports_per_patient` DiagnosticReports
    and their Observations."""
    rng = random.Random(seed)
    for number in range(1, patients + 1):
        yield _bundle(rng, seed, number, reports_per_patient, budget=None)[0]


def _bundles_of(observations: int, reports_per_patient: int, seed: int) -> Iterator[Json]:
    """Patient Bundles holding exactly `observations` Observations (the last report is cut)."""
    rng = random.Random(seed)
    number, left = 0, observations
    while left > 0:
        number += 1
        bundle, used = _bundle(rng, seed, number, reports_per_patient, budget=left)
        left -= used
        yield bundle


def _bundle(
    rng: random.Random, seed: int, number: int, reports: int, *, budget: int | None
) -> tuple[Json, int]:
    town = rng.choice(demo.TOWNS)
    chart = _Chart(number, _urn(rng), town.utc_offset, rng.choice(demo.LAB_NAMES))
    entries = [_patient_entry(rng, seed, chart)]
    used = 0
    back = -(-reports // len(ORDER)) * 40  # draws 20 to 40 days apart, all before the anchor
    day = demo.ANCHOR - timedelta(days=rng.randint(back, max(back, DAYS)))
    drawn = _draw_time(rng, day)
    for k in range(reports):
        left = None if budget is None else budget - used
        if left is not None and left <= 0:
            break
        if k and k % len(ORDER) == 0:  # the next draw: every panel again
            day += timedelta(days=rng.randint(20, 40))
            drawn = _draw_time(rng, day)
        report = _report(rng, chart, ORDER[k % len(ORDER)], drawn, limit=left)
        entries += report
        used += len(report) - 1
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}, used


def _patient_entry(rng: random.Random, seed: int, chart: _Chart) -> Json:
    sex = rng.choice(("female", "male"))
    mrn = {"system": f"{BENCH}/mrn", "value": f"L{seed}-{chart.number:07d}"}
    born = demo.ANCHOR - timedelta(days=rng.randint(25 * 365, 85 * 365))
    patient = {
        "resourceType": "Patient",
        "identifier": [mrn],
        "name": [
            {
                "use": "official",
                "family": rng.choice(demo.FAMILY),
                "given": [rng.choice(demo.GIVEN[sex])],
            }
        ],
        "gender": sex,
        "birthDate": born.isoformat(),
    }
    request = {
        "method": "POST",
        "url": "Patient",
        "ifNoneExist": f"identifier={mrn['system']}|{mrn['value']}",
    }
    return {"fullUrl": chart.urn, "resource": patient, "request": request}


def _report(
    rng: random.Random, chart: _Chart, panel: str, drawn: datetime, *, limit: int | None
) -> list[Json]:
    """The report's entry, then its Observations'."""
    issued = chart.at(drawn + timedelta(hours=rng.randint(2, 30), minutes=rng.randint(0, 59)))
    code, display, text = REPORTS[panel]
    measures = PANELS[panel][:limit]
    results = [
        (_urn(rng), _observation(rng, chart, measure, drawn, issued)) for measure in measures
    ]
    report = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"system": f"{BENCH}/accession", "value": f"A{rng.randrange(10**10):010d}"}],
        "status": "final",
        "category": [{"coding": [{"system": LAB_SECTION, "code": "LAB", "display": "Laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": text},
        "subject": {"reference": chart.urn},
        "effectiveDateTime": chart.at(drawn),
        "issued": issued,
        "performer": [{"display": chart.lab}],
        "result": [{"reference": urn} for urn, _ in results],
    }
    return [_entry(_urn(rng), report), *(_entry(urn, body) for urn, body in results)]


def _observation(
    rng: random.Random, chart: _Chart, measure: Measure, drawn: datetime, issued: str
) -> Json:
    span = measure.abnormal if measure.abnormal and rng.random() < ABNORMAL else measure.usual
    value = _rounded(rng.uniform(*span), measure.decimals)
    bounds = (("low", measure.low), ("high", measure.high))
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [LABORATORY]}],
        "code": measure.code(),
        "subject": {"reference": chart.urn},
        "effectiveDateTime": chart.at(drawn),
        "issued": issued,
        "performer": [{"display": chart.lab}],
        "valueQuantity": measure.quantity(value),
        "interpretation": [demo.interpretation(measure, value)],
        "referenceRange": [{name: measure.quantity(b) for name, b in bounds if b is not None}],
    }


def _entry(urn: str, resource: Json) -> Json:
    request = {"method": "POST", "url": resource["resourceType"]}
    return {"fullUrl": urn, "resource": resource, "request": request}


def _urn(rng: random.Random) -> str:
    return f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _draw_time(rng: random.Random, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(7, 11), rng.choice((0, 15, 30, 45)))


def _rounded(value: float, decimals: int) -> float:
    """As a lab reports it; whole numbers stay JSON integers."""
    return round(value, decimals) if decimals else round(value)


# Files -------------------------------------------------------------------------------------


@dataclass(slots=True)
class DataSet:
    """What `write_files` wrote: the files, in order, and the resources per type."""

    files: list[Path] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def write_files(
    directory: Path,
    n_observations: int,
    *,
    per_file: int,
    ndjson: bool,
    gzip: bool,
    reports_per_patient: int = 8,
    seed: int = 17,
) -> DataSet:
    """A data set of exactly `n_observations` lab Observations (with their Patients and
    DiagnosticReports), streamed to disk.

    Bundle files (`labs-00001.json`) hold whole patients, each file one transaction of at least
    `per_file` entries (a patient's entries are never split, or its `urn:uuid:` references
    would dangle). NDJSON files (`Observation.0001.ndjson`) hold at most `per_file` resources of
    one type; there every resource has an id (its urn's UUID) and references are `Type/id`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    writer = _NdjsonWriter(directory, per_file, gzip) if ndjson else None
    data_set, pending = DataSet(), []
    for bundle in _bundles_of(n_observations, reports_per_patient, seed):
        data_set.counts.update(e["resource"]["resourceType"] for e in bundle["entry"])
        if writer is not None:
            writer.write(bundle)
            continue
        pending += bundle["entry"]
        if len(pending) >= per_file:
            data_set.files.append(_write_bundle(directory, len(data_set.files) + 1, pending, gzip))
            pending = []
    if pending:
        data_set.files.append(_write_bundle(directory, len(data_set.files) + 1, pending, gzip))
    if writer is not None:
        data_set.files = writer.close()
    return data_set


def _write_bundle(directory: Path, number: int, entries: list[Json], gzip: bool) -> Path:
    path = directory / f"labs-{number:05d}.json{'.gz' if gzip else ''}"
    data = orjson.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    path.write_bytes(gzip_module.compress(data, compresslevel=6) if gzip else data)
    return path


class _Output(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def close(self) -> None: ...


class _NdjsonWriter:
    """One open file per type, a new one after every `per_file` lines."""

    def __init__(self, directory: Path, per_file: int, gzip: bool) -> None:
        self.directory, self.per_file, self.gzip = directory, per_file, gzip
        self.open: dict[str, tuple[_Output, int]] = {}  # type -> (file, lines in it)
        self.numbers: Counter[str] = Counter()
        self.files: list[Path] = []

    def write(self, bundle: Json) -> None:
        ids = {e["fullUrl"]: e["fullUrl"].removeprefix("urn:uuid:") for e in bundle["entry"]}
        refs = {e["fullUrl"]: f"{e['resource']['resourceType']}/{i}" for e, i in
                zip(bundle["entry"], ids.values(), strict=True)}  # fmt: skip
        for entry in bundle["entry"]:
            resource = {"resourceType": entry["resource"]["resourceType"],
                        "id": ids[entry["fullUrl"]],
                        **_resolved(entry["resource"], refs)}  # fmt: skip
            self._line(resource["resourceType"], orjson.dumps(resource) + b"\n")

    def _line(self, resource_type: str, line: bytes) -> None:
        handle, lines = self.open.get(resource_type) or self._next(resource_type)
        handle.write(line)
        if lines + 1 == self.per_file:
            handle.close()
            del self.open[resource_type]
        else:
            self.open[resource_type] = (handle, lines + 1)

    def _next(self, resource_type: str) -> tuple[_Output, int]:
        self.numbers[resource_type] += 1
        name = f"{resource_type}.{self.numbers[resource_type]:04d}.ndjson"
        path = self.directory / (name + (".gz" if self.gzip else ""))
        handle: _Output = (
            gzip_module.GzipFile(filename=path, mode="wb", compresslevel=6)
            if self.gzip
            else path.open("wb")
        )
        self.files.append(path)
        return handle, 0

    def close(self) -> list[Path]:
        for handle, _ in self.open.values():
            handle.close()
        self.open.clear()
        return self.files


def _resolved(value: Any, refs: dict[str, str]) -> Any:
    """`value` with every `urn:uuid:` reference of the Bundle replaced by `Type/id`."""
    if isinstance(value, dict):
        return {
            k: refs.get(v, v) if k == "reference" else _resolved(v, refs) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_resolved(v, refs) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--observations", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=1000, help="entries or lines per file")
    parser.add_argument("--reports-per-patient", type=int, default=8)
    parser.add_argument("--ndjson", action="store_true", help="Bulk Data NDJSON, not Bundles")
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    started = time.perf_counter()
    data_set = write_files(args.directory, args.observations, per_file=args.per_file,
                           ndjson=args.ndjson, gzip=args.gzip,
                           reports_per_patient=args.reports_per_patient, seed=args.seed)  # fmt: skip
    seconds = time.perf_counter() - started
    total = sum(data_set.counts.values())
    print(f"{len(data_set.files)} files in {args.directory}: {dict(data_set.counts)}")
    print(f"{total} resources in {seconds:.1f} s ({total / seconds:.0f} resources/s)")


if __name__ == "__main__":
    main()
