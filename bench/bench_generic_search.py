"""Searches of types kept whole against the bare store query, and a Synthea `$everything`.

1. `search` (default): 100,000 Conditions and 100,000 MedicationRequests of ~1,000 patients
   (generated, realistic: SNOMED problems and RxNorm drugs, clinical statuses, verification,
   categories, onset and authored dates over ten years) are stored through the insert path
   that computes the index keys (`ResourceStore.document`, then `insert_many` in batches, as
   the importer writes). Then patient+status, patient+code, patient+date and code searches of
   each type run through the gateway's search route in process (as bench/bench_search.py:
   query string -> parse -> filter -> search_type -> Bundle -> JSON bytes) and as the bare
   store query for the same filter and sort, alternating. Printed: p50 of each and gateway ÷
   bare. Target: <= 1.2 at p50. `--count` also times the bare count of the filter: the
   gateway's first page carries the total, which the bare page query does not compute.
   The embedded store scans a collection for every query (~1.7 s at 100,000 here), so the
   default run of 15 searches per kind takes about 10 minutes.
2. `everything`: the largest Synthea Bundle in the samples (a patient with ~700 resources) is
   posted as a transaction to the app in process (after the companion hospital and
   practitioner Bundles its conditional references point at), then
   `GET Patient/{id}/$everything` is timed, following `next` links to the end. Needs the
   `$everything` operation (branch `compartments`); without it the run says so.

Run: `.venv/bin/python -m bench.bench_generic_search [search --per-type 100000 --count]`
     `.venv/bin/python -m bench.bench_generic_search everything [--bundle file.json]`
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import orjson

from bench.bench_search import BASE, Gateway, Query, Timings, percentile
from bench.common import ROOT
from gateway.domain.time import utc_now
from gateway.jsonio import Json
from gateway.search.filters import build_filter
from gateway.search.parameters import parameters_of
from gateway.search.request import parse
from gateway.services.context import Services, open_services
from gateway.services.search import StoreResolver
from gateway.settings import Settings
from gateway.store.collection import OwnedDocument

SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PROBLEMS = {"44054006": "Diabetes mellitus type 2", "38341003": "Hypertensive disorder",
            "195967001": "Asthma", "55822004": "Hyperlipidemia", "40055000": "Chronic sinusitis",
            "10509002": "Acute bronchitis", "444814009": "Viral sinusitis",
            "162864005": "Body mass index 30+ - obesity", "15777000": "Prediabetes",
            "271737000": "Anemia", "39848009": "Whiplash injury to neck",
            "65363002": "Otitis media", "43878008": "Streptococcal sore throat",
            "36971009": "Sinusitis", "233604007": "Pneumonia", "68496003": "Polyp of colon",
            "72892002": "Normal pregnancy", "19169002": "Miscarriage in first trimester",
            "403190006": "First degree burn", "49436004": "Atrial fibrillation"}  # fmt: skip
DRUGS = {"860975": "metformin 500 MG Oral Tablet", "314076": "lisinopril 10 MG Oral Tablet",
         "617312": "atorvastatin 40 MG Oral Tablet", "197361": "amlodipine 5 MG Oral Tablet",
         "313782": "acetaminophen 325 MG Oral Tablet", "849574": "naproxen sodium 220 MG",
         "308136": "amoxicillin 500 MG Oral Capsule", "895994": "fluticasone 0.05 MG/ACTUAT",
         "745679": "albuterol 0.09 MG/ACTUAT", "310965": "ibuprofen 200 MG Oral Tablet",
         "834060": "penicillin V potassium 250 MG", "1049630": "diphenhydramine 25 MG",
         "312961": "simvastatin 20 MG Oral Tablet", "106892": "insulin isophane 70 UNT/ML",
         "198211": "simvastatin 40 MG Oral Tablet", "855332": "warfarin sodium 5 MG"}  # fmt: skip
CLINICAL_STATUSES = ("active", "active", "resolved", "resolved", "resolved", "inactive",
                     "recurrence", "remission")  # fmt: skip
MED_STATUSES = ("active", "active", "completed", "completed", "completed", "stopped",
                "on-hold", "cancelled")  # fmt: skip
TODAY = date(2026, 1, 1)
YEARS = 10
BATCH = 5_000


def _when(rng: random.Random) -> str:
    moment = TODAY - timedelta(days=rng.randint(0, 365 * YEARS))
    return f"{moment.isoformat()}T{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00-05:00"


def conditions(rng: random.Random, *, patients: int, count: int) -> Iterator[Json]:
    for n in range(count):
        code = rng.choice(list(PROBLEMS))
        status = rng.choice(CLINICAL_STATUSES)
        onset = _when(rng)
        body: Json = {
            "resourceType": "Condition",
            "id": f"cond-{n}",
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "category": [{"coding": [{"system": CATEGORY, "code": rng.choice(
                ("problem-list-item", "encounter-diagnosis"))}]}],
            "code": {"coding": [{"system": SNOMED, "code": code, "display": PROBLEMS[code]}],
                     "text": PROBLEMS[code]},
            "subject": {"reference": f"Patient/bench-pat-{rng.randint(1, patients)}"},
            "encounter": {"reference": f"Encounter/bench-enc-{rng.randint(1, count)}"},
            "onsetDateTime": onset,
            "recordedDate": onset,
        }  # fmt: skip
        if status in ("resolved", "inactive", "remission"):
            body["abatementDateTime"] = max(onset, _when(rng))
        yield body


def medication_requests(rng: random.Random, *, patients: int, count: int) -> Iterator[Json]:
    for n in range(count):
        code = rng.choice(list(DRUGS))
        yield {
            "resourceType": "MedicationRequest",
            "id": f"medreq-{n}",
            "status": rng.choice(MED_STATUSES),
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": code, "display": DRUGS[code]}],
                "text": DRUGS[code],
            },
            "subject": {"reference": f"Patient/bench-pat-{rng.randint(1, patients)}"},
            "encounter": {"reference": f"Encounter/bench-enc-{rng.randint(1, count)}"},
            "authoredOn": _when(rng),
            "requester": {"reference": f"Practitioner/bench-pr-{rng.randint(1, 50)}"},
            "dosageInstruction": [{"sequence": 1, "text": "Take one tablet daily",
                                   "timing": {"repeat": {"frequency": 1, "period": 1,
                                                         "periodUnit": "d"}}}],
        }  # fmt: skip


async def load(services: Services, bodies: Iterator[Json]) -> tuple[int, float]:
    """Store `bodies` (one type) as the importer does: mapped, indexed, inserted in batches."""
    started = time.perf_counter()
    count = 0
    batch: list[OwnedDocument] = []
    store = None
    for body in bodies:
        store = store or services.store(body["resourceType"])
        record = store.mapper.from_fhir(body)
        batch.append(store.document(record, body["id"], 1, utc_now(), "PUT"))
        count += 1
        if len(batch) == BATCH:
            await store.insert_many(batch)
            batch = []
    if store is not None and batch:
        await store.insert_many(batch)
    return count, time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What one type is searched by: its status parameter and active code, its clinical date
    parameter, its codes."""

    status: str
    active: str
    date: str
    codes: dict[str, str]
    system: str


VOCABULARIES = {
    "Condition": Vocabulary("clinical-status", "active", "onset-date", PROBLEMS, SNOMED),
    "MedicationRequest": Vocabulary("status", "active", "authoredon", DRUGS, RXNORM),
}
KINDS = ("patient+status", "patient+code", "patient+date", "code")


def criteria(kind: str, words: Vocabulary, rng: random.Random) -> Query:
    if kind == "patient+status":
        return [(words.status, words.active)]
    if kind == "patient+date":
        return [(words.date, f"ge{TODAY.year - rng.randint(1, 5)}-01-01")]
    return [("code", f"{words.system}|{rng.choice(list(words.codes))}")]


def searches(rng: random.Random, *, patients: int, per_kind: int) -> dict[str, list[Query]]:
    """Chart reads (a patient's active problems or drugs, one code, the last years) and a
    population screen (one code across patients), 20 to a page."""
    found: dict[str, list[Query]] = {}
    for resource_type, words in VOCABULARIES.items():
        known = parameters_of(resource_type)
        for kind in KINDS:
            unknown = {c for c, _ in criteria(kind, words, rng) if c not in known}
            label = f"{resource_type} {kind}{' *' if unknown else ''}"
            found[label] = [
                [*([] if kind == "code" else [("patient", _patient(rng, patients))]),
                 *criteria(kind, words, rng), ("_count", "20")]
                for _ in range(per_kind)
            ]  # fmt: skip
    return found


def _patient(rng: random.Random, patients: int) -> str:
    number = rng.randint(1, patients)
    return f"Patient/bench-pat-{number}" if rng.random() < 0.5 else f"bench-pat-{number}"


@dataclass(slots=True)
class Measured:
    timings: Timings = field(default_factory=Timings)
    counts: list[float] = field(default_factory=list)  # the bare count (with --count)
    totals: list[int] = field(default_factory=list)


async def run(gateway: Gateway, mix: dict[str, list[Query]], *, count: bool) -> dict[str, Measured]:
    """Each query as the bare store query (`count`: and the bare count, since the gateway's
    Bundle carries the total), then through the gateway's route: alternating."""
    results = {label: Measured() for label in mix}
    for label, queries in mix.items():
        resource_type = label.split()[0]
        for items in queries:
            documents, bare_seconds = await gateway.bare(resource_type, items)
            if count:
                results[label].counts.append(
                    await bare_count(gateway.services, resource_type, items)
                )
            bundle, seconds = await gateway.get(resource_type, urlencode(items))
            entries = bundle.get("entry", [])
            matches = [e["resource"]["id"] for e in entries if e["search"]["mode"] == "match"]
            if matches != [d["_id"] for d in documents]:
                print(f"MISMATCH {resource_type}?{urlencode(items)}")
            measured = results[label]
            measured.timings.gateway.append(seconds)
            measured.timings.bare.append(bare_seconds)
            measured.timings.rows.append(len(matches))
            measured.totals.append(bundle.get("total", 0))
    return results


async def bare_count(services: Services, resource_type: str, items: Query) -> float:
    request = parse(resource_type, items, default_count=20, max_count=1000)
    resolver = StoreResolver(services, (BASE,))
    query = await build_filter(resource_type, request.parameters, resolver, base_urls=(BASE,))
    started = time.perf_counter()
    await services.store(resource_type).collection.count_documents(query)
    return time.perf_counter() - started


def report(results: dict[str, Measured]) -> None:
    counted = all(m.counts for m in results.values())
    print(
        "p50 in ms; bare: find().sort().limit(20) with the gateway's filter and sort"
        + ("; count: count_documents of the filter (the Bundle's total)" if counted else "")
    )
    print(
        f"{'search':34} {'n':>3} {'total':>6} {'bare':>7} {'gateway':>8}  {'gateway/bare':>12}"
        + (f" {'count':>7} {'gateway/(bare+count)':>21}" if counted else "")
    )
    for label, m in results.items():
        t = m.timings
        bare, gateway = percentile(t.bare, 0.5), percentile(t.gateway, 0.5)
        line = (
            f"{label:34} {len(t.gateway):3} {statistics.mean(m.totals):6.0f} "
            f"{bare * 1e3:7.1f} {gateway * 1e3:8.1f}  {gateway / bare:12.2f}"
        )
        if counted:
            count = percentile(m.counts, 0.5)
            line += f" {count * 1e3:7.1f} {gateway / (bare + count):21.2f}"
        print(line)
    print("target: gateway/bare <= 1.2 at p50")
    if any(label.endswith("*") for label in results):
        print("* a parameter of the search is not searchable on this branch: both ignore it")


async def search_bench(
    *, patients: int, per_type: int, per_kind: int, seed: int, count: bool
) -> None:
    services = await open_services(Settings(mongodb_uri=None))
    rng = random.Random(seed)
    try:
        for bodies in (conditions(rng, patients=patients, count=per_type),
                       medication_requests(rng, patients=patients, count=per_type)):  # fmt: skip
            loaded, seconds = await load(services, bodies)
            print(f"load: {loaded:,} in {seconds:.1f} s ({loaded / seconds:,.0f} resources/s)")
        mix = searches(rng, patients=patients, per_kind=per_kind)
        report(await run(Gateway(services), mix, count=count))
    finally:
        services.close()


# --- $everything of a Synthea patient ------------------------------------------------------------

SYNTHEA = ROOT.parent / "shared" / "fhir-samples" / "synthea"


def largest_synthea_bundle() -> Path:
    """The Synthea Bundle with the most entries (~700 resources in the samples)."""
    bundles = sorted(SYNTHEA.glob("*.json"))
    return max(bundles, key=lambda path: len(orjson.loads(path.read_bytes()).get("entry", [])))


async def everything_bench(bundle_path: Path, *, rounds: int) -> None:
    """Post the Bundle as a transaction, then time `Patient/{id}/$everything` to its last page."""
    from asgi_lifespan import LifespanManager
    from httpx import ASGITransport, AsyncClient

    from gateway.http.app import create_app

    bundle = orjson.loads(bundle_path.read_bytes())
    bundle["type"] = "transaction"
    app = create_app(Settings(mongodb_uri=None, demo_data=False))
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    async with (
        LifespanManager(app),
        AsyncClient(
            transport=ASGITransport(app=app), base_url="http://bench/fhir", headers=headers
        ) as client,
    ):
        for companion in sorted((SYNTHEA / "companion").glob("*.json")):  # hospitals, doctors
            shared = await client.post("", content=companion.read_bytes())
            if shared.status_code != 200:
                raise RuntimeError(f"{companion.name} answered {shared.status_code}")
        started = time.perf_counter()
        answer = await client.post("", content=orjson.dumps(bundle))
        loaded = time.perf_counter() - started
        if answer.status_code != 200:
            raise RuntimeError(f"the transaction answered {answer.status_code}: {answer.text}")
        locations = [e["response"].get("location", "") for e in answer.json()["entry"]]
        [patient] = [loc.split("/")[1] for loc in locations if loc.startswith("Patient/")]
        print(f"{bundle_path.name}: {len(locations)} resources in one transaction, {loaded:.2f} s")
        timings: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            url: str | None = f"Patient/{patient}/$everything?_count=1000"
            read = pages = 0
            while url:
                page = await client.get(url)
                if page.status_code != 200:
                    print(f"$everything answered {page.status_code}: not available on this branch")
                    return
                body = page.json()
                read, pages = read + len(body.get("entry", [])), pages + 1
                following = [x["url"] for x in body.get("link", []) if x["relation"] == "next"]
                url = following[0] if following else None
            timings.append(time.perf_counter() - started)
        print(f"$everything: {read} resources in {pages} page(s); "
              f"median {statistics.median(timings) * 1e3:.0f} ms over {rounds} runs "
              f"(min {min(timings) * 1e3:.0f} ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", nargs="?", choices=("search", "everything"), default="search")
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--per-type", type=int, default=100_000, help="Resources of each type.")
    parser.add_argument("--queries", type=int, default=15, help="Searches of each kind.")
    parser.add_argument("--count", action="store_true", help="search: time the bare count too.")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--bundle", type=Path, help="everything: a Synthea Bundle file.")
    parser.add_argument("--rounds", type=int, default=5, help="everything: timed runs.")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.mode == "everything":
        asyncio.run(everything_bench(args.bundle or largest_synthea_bundle(), rounds=args.rounds))
    else:
        asyncio.run(search_bench(patients=args.patients, per_type=args.per_type,
                                 per_kind=args.queries, seed=args.seed,
                                 count=args.count))  # fmt: skip
    print(f"run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
