"""Profile validation's cost: `fhir-gateway validate` against the validate-only floor, and
create with profile validation against create without it.

The data is the demo generator's (labs, vitals, wearable metrics, medications, encounters),
~5,000 resources for 80 patients; each vital sign claims its R4 vital signs profile (where it
meets it: a claim it breaks would make the create fail) and the creates run under
`required_profiles={"Observation": ["vital-signs"]}`. The "without" creates get the same
resources without claims under the default settings, so no profile applies.

- validate: `validate_items` (the command's work, reading the NDJSON file included, with its
  default worker processes unless `--workers`; their start is timed too) against
  `mappers.r4.validate` alone over the same resources; rounds alternate.
- create: `resources.create` on the embedded store through the services (as
  bench/bench_transaction.py runs transactions), with and without profiles; rounds alternate.
  Target: >= 65 % (issue 11). Then the vital signs alone, every one of which is validated
  against its profile, so the ratio is not diluted by the resources no profile applies to.

Run: `.venv/bin/python -m bench.bench_validate [--patients 80 --rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import tempfile
import time
from pathlib import Path

from gateway.cli.importing import default_workers
from gateway.demo import generate
from gateway.jsonio import Json, dumps
from gateway.services import resources
from gateway.services.context import open_services
from gateway.services.imports.readers import read
from gateway.services.imports.report import Report
from gateway.services.profiles import ProfilePolicy
from gateway.services.validation import findings
from gateway.services.validation_files import validate_items
from gateway.settings import Settings
from mappers.r4 import validate

SD = "http://hl7.org/fhir/StructureDefinition"
PROFILE_OF = {"85354-9": "bp", "29463-7": "bodyweight", "8302-2": "bodyheight",
              "8310-5": "bodytemp", "8867-4": "heartrate", "2708-6": "oxygensat",
              "9279-1": "resprate", "39156-5": "bmi", "9843-4": "headcircum"}  # fmt: skip
REQUIRED = {"Observation": ["vital-signs"]}


def claimed(patients: int) -> tuple[list[Json], int]:
    """The demo resources, each vital sign claiming its profile where it meets it."""
    policy, data, claims = ProfilePolicy(), generate(patients=patients), 0
    for resource in data:
        codes = [c.get("code") for c in resource.get("code", {}).get("coding", [])]
        name = next((PROFILE_OF[c] for c in codes if c in PROFILE_OF), None)
        if resource["resourceType"] != "Observation" or name is None:
            continue
        resource.setdefault("meta", {})["profile"] = [f"{SD}/{name}"]
        if any(i.severity == "error" for i in findings(policy, resource)):
            _unclaim(resource)
        else:
            claims += 1
    return data, claims


def unclaimed(data: list[Json]) -> list[Json]:
    bare = copy.deepcopy(data)
    for resource in bare:
        _unclaim(resource)
    return bare


def _unclaim(resource: Json) -> None:
    """No `meta.profile`, and no `meta` left empty (FHIR JSON has no empty objects)."""
    meta = resource.get("meta", {})
    meta.pop("profile", None)
    if "meta" in resource and not meta:
        del resource["meta"]


def floor(data: list[Json]) -> float:
    started = time.perf_counter()
    for resource in data:
        validate(resource)
    return time.perf_counter() - started


def validate_file(path: Path, policy: ProfilePolicy, workers: int) -> float:
    started = time.perf_counter()
    report = validate_items(read(path), Report(), policy=policy, workers=workers)
    elapsed = time.perf_counter() - started
    assert report.ok, report.counts
    return elapsed


async def creates(data: list[Json], settings: Settings) -> float:
    services = await open_services(settings)
    work = copy.deepcopy(data)
    started = time.perf_counter()
    for resource in work:
        store = services.store(resource["resourceType"])
        await resources.create(store, resource, profiles=services.profiles)
    elapsed = time.perf_counter() - started
    services.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="fhir-gateway validate's --workers (default: its own default)")  # fmt: skip
    args = parser.parse_args()
    data, claims = claimed(args.patients)
    bare = unclaimed(data)
    vitals = [resource for resource in data if "profile" in resource.get("meta", {})]
    bare_vitals = unclaimed(vitals)
    profiled = Settings(mongodb_uri=None, required_profiles=REQUIRED)
    plain = Settings(mongodb_uri=None)
    policy = ProfilePolicy.from_settings(profiled)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "mixed.ndjson"
        path.write_bytes(b"\n".join(dumps(resource) for resource in data))
        floors, validated, with_profiles, without = [], [], [], []
        vitals_with, vitals_without = [], []
        for _ in range(args.rounds):
            floors.append(floor(data))
            validated.append(validate_file(path, policy, args.workers))
            without.append(asyncio.run(creates(bare, plain)))
            with_profiles.append(asyncio.run(creates(data, profiled)))
            vitals_without.append(asyncio.run(creates(bare_vitals, plain)))
            vitals_with.append(asyncio.run(creates(vitals, profiled)))
    count = len(data)
    base, rate = count / min(floors), count / min(validated)
    plain_rate, profiled_rate = count / min(without), count / min(with_profiles)
    print(f"resources: {count}, {claims} claiming a vital signs profile")
    print(f"validate-only floor:       {base:8.0f} resources/s")
    print(f"fhir-gateway validate:     {rate:8.0f} resources/s  = {rate / base:5.0%} of the floor "
          f"(--workers {args.workers}; the floor runs in one process)")  # fmt: skip
    print(f"create without profiles:   {plain_rate:8.0f} resources/s")
    print(f"create with profiles:      {profiled_rate:8.0f} resources/s  = "
          f"{profiled_rate / plain_rate:5.0%} of create without (target >= 65%)")  # fmt: skip
    vitals_plain, vitals_profiled = (
        len(vitals) / min(vitals_without),
        len(vitals) / min(vitals_with),
    )
    print(f"the {len(vitals)} vital signs alone, each validated against its profile (and "
          f"vitalsigns): {vitals_profiled:.0f}/s with, {vitals_plain:.0f}/s without = "
          f"{vitals_profiled / vitals_plain:.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
