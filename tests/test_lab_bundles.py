"""bench.lab_bundles: valid R4 lab Bundles, identical for a seed, at the size asked for."""

from __future__ import annotations

import gzip
from collections import Counter
from itertools import islice
from pathlib import Path

import orjson
import pytest
from httpx import AsyncClient

from bench.lab_bundles import PANELS, REPORTS, bundles, write_files
from gateway import demo
from gateway.jsonio import Json
from mappers import r4
from mappers.invariants import invariant_issues

UCUM = "http://unitsofmeasure.org"
BUNDLES = list(bundles(patients=6, reports_per_patient=9, seed=3))
RESOURCES = [entry["resource"] for bundle in BUNDLES for entry in bundle["entry"]]


def of_type(resource_type: str) -> list[Json]:
    return [r for r in RESOURCES if r["resourceType"] == resource_type]


@pytest.mark.parametrize("resource", RESOURCES[:60], ids=lambda r: r["resourceType"])
def test_every_resource_passes_validation(resource: Json) -> None:
    assert r4.validate(resource) == []
    assert invariant_issues(resource) == []


def test_all_resources_validate_and_bundles_too() -> None:
    assert [r for r in RESOURCES if r4.validate(r) or invariant_issues(r)] == []
    assert [b for b in BUNDLES if r4.validate(b)] == []


def test_each_bundle_is_one_patients_transaction() -> None:
    assert len(BUNDLES) == 6
    for bundle in BUNDLES:
        assert bundle["type"] == "transaction"
        entries = bundle["entry"]
        patient = entries[0]
        assert patient["resource"]["resourceType"] == "Patient"
        mrn = patient["resource"]["identifier"][0]
        assert patient["request"] == {
            "method": "POST",
            "url": "Patient",
            "ifNoneExist": f"identifier={mrn['system']}|{mrn['value']}",
        }
        assert {e["resource"]["resourceType"] for e in entries[1:]} == {
            "DiagnosticReport",
            "Observation",
        }
        assert all(e["fullUrl"].startswith("urn:uuid:") for e in entries)
        assert all(e["request"]["url"] == e["resource"]["resourceType"] for e in entries)
        subjects = {e["resource"]["subject"]["reference"] for e in entries[1:]}
        assert subjects == {patient["fullUrl"]}


def test_reports_name_their_observations_and_cycle_through_the_panels() -> None:
    full_urls = {e["fullUrl"]: e["resource"] for b in BUNDLES for e in b["entry"]}
    reports = of_type("DiagnosticReport")
    assert len(reports) == 6 * 9
    panel_codes = {code: name for name, (code, _, _) in REPORTS.items()}
    assert [panel_codes[r["code"]["coding"][0]["code"]] for r in reports[:9]] == [
        "cbc", "cmp", "lipids", "hba1c", "cbc", "cmp", "lipids", "hba1c", "cbc",
    ]  # fmt: skip
    for report in reports:
        panel = PANELS[panel_codes[report["code"]["coding"][0]["code"]]]
        results = [full_urls[ref["reference"]] for ref in report["result"]]
        assert [o["code"]["coding"][0]["code"] for o in results] == [m.loinc for m in panel]
        assert {o["effectiveDateTime"] for o in results} == {report["effectiveDateTime"]}
    assert len(of_type("Observation")) == sum(len(r["result"]) for r in reports)
    assert len(full_urls) == len(RESOURCES)  # every fullUrl unique


def test_observations_carry_ucum_ranges_and_the_flag_their_value_gives() -> None:
    measures = {m.loinc: m for panel in PANELS.values() for m in panel}
    flags: Counter[str] = Counter()
    for observation in of_type("Observation"):
        coding = observation["code"]["coding"][0]
        measure = measures[coding["code"]]
        assert coding["system"] == "http://loinc.org"
        quantity = observation["valueQuantity"]
        assert quantity["system"] == UCUM
        assert quantity["code"] == measure.ucum
        assert observation["interpretation"] == [demo.interpretation(measure, quantity["value"])]
        [reference_range] = observation["referenceRange"]
        assert reference_range.get("low", {}).get("value") == measure.low
        assert reference_range.get("high", {}).get("value") == measure.high
        flags[observation["interpretation"][0]["coding"][0]["code"]] += 1
    assert set(flags) == {"H", "L", "N"}
    assert flags["N"] > flags["H"] + flags["L"]


def test_the_demo_tables_are_reused() -> None:
    for name, measures in demo.PANELS.items():
        assert PANELS[name][: len(measures)] == measures


def test_the_same_seed_gives_the_same_bundles() -> None:
    assert list(bundles(patients=6, reports_per_patient=9, seed=3)) == BUNDLES
    assert list(bundles(patients=6, reports_per_patient=9, seed=4)) != BUNDLES
    first_two = list(islice(bundles(patients=50, reports_per_patient=9, seed=3), 2))
    assert first_two == BUNDLES[:2]


def test_any_number_of_reports_per_patient() -> None:
    [bundle] = bundles(patients=1, reports_per_patient=120, seed=1)
    reports = [e["resource"] for e in bundle["entry"][1:]]
    assert sum(r["resourceType"] == "DiagnosticReport" for r in reports) == 120
    assert max(r["effectiveDateTime"][:10] for r in reports) < demo.ANCHOR.isoformat()


def read_ndjson(path: Path) -> list[Json]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [orjson.loads(line) for line in data.splitlines()]


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_ndjson_files_hold_exactly_the_observations_asked_for(
    tmp_path: Path, compressed: bool
) -> None:
    data_set = write_files(tmp_path, 1234, per_file=500, ndjson=True, gzip=compressed)
    assert data_set.counts["Observation"] == 1234
    lines = {path.name: read_ndjson(path) for path in data_set.files}
    suffix = ".ndjson.gz" if compressed else ".ndjson"
    assert sorted(lines) == sorted(p.name for p in tmp_path.iterdir())
    assert [len(lines[f"Observation.{n:04d}{suffix}"]) for n in (1, 2, 3)] == [500, 500, 234]
    everything = [r for batch in lines.values() for r in batch]
    assert Counter(r["resourceType"] for r in everything) == data_set.counts
    ids = {f"{r['resourceType']}/{r['id']}" for r in everything}
    references = {
        ref["reference"]
        for r in everything
        if r["resourceType"] != "Patient"
        for ref in [r["subject"], *r.get("result", [])]
    }
    assert references <= ids  # every reference resolves within the data set
    assert all(not ref.startswith("urn:") for ref in references)
    reports = [r for r in everything if r["resourceType"] == "DiagnosticReport"]
    assert sum(len(r["result"]) for r in reports) == 1234  # the last report was cut to fit


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_bundle_files_hold_whole_patients(tmp_path: Path, compressed: bool) -> None:
    data_set = write_files(tmp_path, 300, per_file=100, ndjson=False, gzip=compressed)
    observations = 0
    for path in data_set.files:
        data = gzip.decompress(path.read_bytes()) if compressed else path.read_bytes()
        bundle = orjson.loads(data)
        assert bundle["type"] == "transaction"
        assert len(bundle["entry"]) >= 100 or path == data_set.files[-1]
        full_urls = {e["fullUrl"] for e in bundle["entry"]}
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert (
                resource["resourceType"] == "Patient"
                or resource["subject"]["reference"] in full_urls
            )
            observations += resource["resourceType"] == "Observation"
    assert observations == 300 == data_set.counts["Observation"]


async def test_bundles_post_as_transactions(api: AsyncClient) -> None:
    for bundle in islice(BUNDLES, 2):
        response = await api.post("", json=bundle)
        assert response.status_code == 200, response.text
        statuses = {e["response"]["status"] for e in response.json()["entry"]}
        assert statuses == {"201 Created"}
    again = await api.post("", json=BUNDLES[0])
    assert again.json()["entry"][0]["response"]["status"] == "200 OK"  # ifNoneExist matched
    patients = await api.get("/Patient", params={"_summary": "count"})
    assert patients.json()["total"] == 2
    report = (await api.get("/DiagnosticReport", params={"_count": "1"})).json()["entry"][0]
    result = report["resource"]["result"][0]["reference"]
    assert (await api.get(f"/{result}")).status_code == 200
