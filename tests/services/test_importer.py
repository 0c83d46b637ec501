"""The importer on the embedded store: counts, references, idempotent re-runs, error reports."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson

from gateway.services.context import open_services
from gateway.services.imports.identity import derived_id
from gateway.services.imports.pipeline import Importer
from gateway.services.imports.preparation import Preparer
from gateway.services.imports.readers import expand, read
from gateway.services.imports.report import Failure
from tests.conftest import make_settings

MRN = "http://clinic.example/mrn"


def patient(source_id: str | None, mrn: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": MRN, "value": mrn}],
    }
    if source_id:
        resource["id"] = source_id
    return resource


def glucose(subject: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
        "subject": {"reference": subject},
        "valueQuantity": {"value": value, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"},
    }  # fmt: skip


def lab_bundle(mrn: str, values: list[float]) -> dict[str, Any]:
    urn = f"urn:uuid:00000000-0000-4000-8000-{abs(hash(mrn)) % 10**12:012d}"
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": urn, "resource": patient(None, mrn),
         "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={MRN}|{mrn}"}},
        *({"resource": glucose(urn, v), "request": {"method": "POST", "url": "Observation"}} for v in values),
    ]}  # fmt: skip


async def run(paths: list[Path], **options: Any) -> tuple[Any, list[Failure], Any]:
    services = await open_services(make_settings())
    failures: list[Failure] = []
    importer = Importer(services, on_failure=failures.append, batch_size=3, **options)
    report = await importer.run(item for path in expand(paths) for item in read(path))
    return report, failures, services


async def rerun(services: Any, paths: list[Path]) -> Any:
    importer = Importer(services, batch_size=3)
    return await importer.run(item for path in expand(paths) for item in read(path))


async def test_bundles_and_ndjson_import_with_references_resolved(tmp_path: Path) -> None:
    (tmp_path / "labs1.json").write_text(json.dumps(lab_bundle("A-1", [90, 200])))
    (tmp_path / "labs2.json.gz").write_bytes(
        gzip.compress(json.dumps(lab_bundle("A-1", [95])).encode())
    )
    ndjson = [patient("src-p", "B-2"), glucose("Patient/src-p", 110)]
    (tmp_path / "export.ndjson").write_bytes(b"\n".join(orjson.dumps(r) for r in ndjson))
    report, failures, services = await run([tmp_path])
    assert failures == []
    assert {t: dict(c) for t, c in report.counts.items()} == {
        "Patient": {"created": 2, "unchanged": 1},  # A-1 arrives in two files: one record
        "Observation": {"created": 4},
    }
    observations = await services.store("Observation").collection.find({}).to_list(None)
    subjects = sorted(d["subject"]["reference"] for d in observations)
    patients = {d["identifiers"][0]["value"]: d["_id"] for d in
                await services.store("Patient").collection.find({}).to_list(None)}  # fmt: skip
    assert subjects == sorted([f"Patient/{patients['A-1']}"] * 3 + [f"Patient/{patients['B-2']}"])
    assert patients["B-2"] == derived_id("Patient", "id", "src-p")


async def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "labs.json").write_text(json.dumps(lab_bundle("C-3", [70, 80, 90])))
    _, _, services = await run([tmp_path])
    again = await rerun(services, [tmp_path])
    assert {t: dict(c) for t, c in again.counts.items()} == {
        "Patient": {"unchanged": 1}, "Observation": {"unchanged": 3},
    }  # fmt: skip
    assert await services.store("Observation").collection.count_documents({}) == 3


async def test_bad_lines_are_reported_with_their_position_and_the_rest_lands(
    tmp_path: Path,
) -> None:
    lines = [
        orjson.dumps(patient("p1", "D-4")).decode(),
        "{not json",
        json.dumps({**glucose("Patient/p1", 99), "status": "bogus"}),
        json.dumps(glucose("Patient/p1", 101)),
    ]
    (tmp_path / "mixed.ndjson").write_text("\n".join(lines))
    report, failures, services = await run([tmp_path])
    assert not report.ok
    assert [(Path(f.source).name, f.position) for f in failures] == [
        ("mixed.ndjson", "line 2"), ("mixed.ndjson", "line 3"),
    ]  # fmt: skip
    assert failures[1].outcome["issue"][0]["expression"] == ["Observation.status"]
    assert await services.store("Observation").collection.count_documents({}) == 1


async def test_keep_ids_keeps_the_source_ids(tmp_path: Path) -> None:
    ndjson = [patient("keep-me", "E-5"), glucose("Patient/keep-me", 120)]
    (tmp_path / "e.ndjson").write_bytes(b"\n".join(orjson.dumps(r) for r in ndjson))
    report, failures, services = await run([tmp_path], keep_ids=True)
    assert failures == []
    assert report.ok
    stored = await services.store("Observation").collection.find({}).to_list(None)
    assert stored[0]["subject"]["reference"] == "Patient/keep-me"
    assert await services.store("Patient").collection.find_one({"_id": "keep-me"}) is not None


async def test_dry_run_validates_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "labs.json").write_text(json.dumps(lab_bundle("F-6", [60])))
    report, failures, services = await run([tmp_path], dry_run=True)
    assert failures == []
    assert report.counts["Observation"]["created"] == 1
    assert await services.store("Observation").collection.count_documents({}) == 0


async def test_conditional_references_to_a_later_file_are_resolved_at_the_end(
    tmp_path: Path,
) -> None:
    encounter = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
                 "participant": [{"individual": {"reference": "Practitioner?identifier=http://npi|1"}}]}  # fmt: skip
    practitioner = {
        "resourceType": "Practitioner",
        "identifier": [{"system": "http://npi", "value": "1"}],
    }
    (tmp_path / "a_encounters.ndjson").write_text(json.dumps(encounter))
    (tmp_path / "b_practitioners.ndjson").write_text(json.dumps(practitioner))
    report, failures, services = await run([tmp_path])
    assert failures == []
    assert report.ok
    stored = await services.store("Encounter").collection.find_one({})
    practitioner_doc = await services.store("Practitioner").collection.find_one({})
    assert (
        stored["participants"][0]["individual"]["reference"]
        == f"Practitioner/{practitioner_doc['_id']}"
    )


async def test_forward_references_within_a_bundle_wait_for_the_end_of_the_file(
    tmp_path: Path,
) -> None:
    """A report listing its results before them, across batch boundaries (batch size 3)."""
    urns = [f"urn:uuid:00000000-0000-4000-8000-00000000000{i}" for i in range(4)]
    report_resource = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "panel"},
                       "result": [{"reference": u} for u in urns]}  # fmt: skip
    entries = [{"resource": report_resource}] + [
        {"fullUrl": u, "resource": glucose("Patient/x", 90 + i)} for i, u in enumerate(urns)
    ]
    entries.append({"resource": {**report_resource, "result": [{"reference": "urn:uuid:nowhere"}]}})
    (tmp_path / "labs.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                                    "entry": entries}))  # fmt: skip
    report, failures, services = await run([tmp_path])
    assert [f.position for f in failures] == ["entry 5"]
    assert report.counts["DiagnosticReport"]["created"] == 1
    stored = await services.store("DiagnosticReport").collection.find_one({})
    observation_ids = {
        d["_id"] for d in await services.store("Observation").collection.find({}).to_list(None)
    }
    assert {r["reference"].split("/")[1] for r in stored["fhir_rest"]["result"]} == observation_ids


async def test_importing_an_export_reproduces_the_data_set(tmp_path: Path) -> None:
    """Demo data (four domain types), exported as Bulk NDJSON, imported with --keep-ids into a
    fresh store: every resource comes back the same (meta versions aside)."""
    from gateway.services.demo_load import load_generated
    from gateway.services.exports import NdjsonSink, export
    from tests.corpus.test_round_trip import comparable

    source = await open_services(make_settings())
    await load_generated(source, patients=2)
    sink = NdjsonSink(tmp_path / "export", gzip=True)
    counts = await export(source, types=None, since=None, patient_ids=None, sink=sink)
    report, failures, target = await run([tmp_path / "export"], keep_ids=True)
    assert failures == []
    assert {t: c["created"] for t, c in report.counts.items()} == counts

    async def everything(services: Any) -> dict[str, Any]:
        found = {}
        for resource_type in counts:
            store = services.store(resource_type)
            for document in await store.collection.find({}).to_list(None):
                resource = store.to_version(document).resource
                found[f"{resource_type}/{document['_id']}"] = comparable({**resource, "id": "-"})
        return found

    assert await everything(target) == await everything(source)


async def test_one_patient_arriving_under_two_source_ids_in_one_run_is_one_record(
    tmp_path: Path,
) -> None:
    ndjson = [patient("src-a", "G-7"), patient("src-b", "G-7"), glucose("Patient/src-b", 88)]
    (tmp_path / "twice.ndjson").write_bytes(b"\n".join(orjson.dumps(r) for r in ndjson))
    report, failures, services = await run([tmp_path])
    assert failures == []
    assert dict(report.counts["Patient"]) == {"created": 1, "unchanged": 1}
    assert await services.store("Patient").collection.count_documents({}) == 1


async def test_validation_in_a_worker_process_imports_and_reports_the_same(
    tmp_path: Path,
) -> None:
    lines = [
        orjson.dumps(patient("p1", "H-8")).decode(),
        json.dumps({**glucose("Patient/p1", 99), "status": "bogus"}),
        json.dumps({**glucose("Patient/p1", 98), "valueQuantity": {"value": "high"}}),
        json.dumps(glucose("Patient/p1", 101)),
    ]
    (tmp_path / "mixed.ndjson").write_text("\n".join(lines))
    inline, inline_failures, _ = await run([tmp_path])
    with Preparer(workers=1) as preparer:
        pooled, pooled_failures, services = await run([tmp_path], preparer=preparer)
    assert pooled.counts == inline.counts
    assert [(f.position, f.outcome) for f in pooled_failures] == [
        (f.position, f.outcome) for f in inline_failures
    ]
    assert [f.position for f in pooled_failures] == ["line 2", "line 3"]
    assert await services.store("Observation").collection.count_documents({}) == 1


async def test_worker_processes_store_the_same_documents_as_inline_preparation(
    tmp_path: Path,
) -> None:
    (tmp_path / "labs.json").write_text(json.dumps(lab_bundle("W-1", [70, 80, 90, 100])))

    async def stored(preparer: Preparer | None) -> dict[str, Any]:
        _, failures, services = await run([tmp_path], preparer=preparer)
        assert failures == []
        documents = {}
        for resource_type in ("Patient", "Observation"):
            for document in await services.store(resource_type).collection.find({}).to_list(None):
                documents[document["_id"]] = {
                    k: v for k, v in document.items() if k != "last_updated"
                }
        return documents

    with Preparer(workers=1) as preparer:
        pooled = await stored(preparer)
    assert pooled == await stored(None)
    assert len(pooled) == 5


def request_only_bundle() -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "DELETE", "url": "Observation/old-1"}},
        {"request": {"method": "GET", "url": "Patient?identifier=x|1"}},
        {"fullUrl": "urn:uuid:10000000-0000-4000-8000-000000000001", "resource": patient(None, "S-1"),
         "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "POST", "url": "Observation"}},  # a POST without its resource
    ]}  # fmt: skip


async def test_entries_that_only_request_are_skipped_and_a_missing_resource_fails(
    tmp_path: Path,
) -> None:
    (tmp_path / "requests.json").write_text(json.dumps(request_only_bundle()))
    response = {"resourceType": "Bundle", "type": "transaction-response",
                "entry": [{"response": {"status": "204 No Content"}}]}  # fmt: skip
    (tmp_path / "response.json").write_text(json.dumps(response))
    report, failures, _ = await run([tmp_path])
    assert {t: dict(c) for t, c in report.counts.items()} == {
        "Observation": {"skipped": 1},
        "Patient": {"created": 1, "skipped": 1},
        "unknown": {"failed": 1, "skipped": 1},
    }
    assert [(Path(f.source).name, f.position) for f in failures] == [("requests.json", "entry 3")]


async def test_a_data_set_carrying_two_versions_of_a_resource_is_stable_on_rerun(
    tmp_path: Path,
) -> None:
    """A preliminary result in one file, its correction in a later one: the correction wins,
    and neither a re-run nor re-sending the older file alone moves the resource back."""
    preliminary = {**glucose("Patient/p1", 99), "id": "g1", "status": "preliminary"}
    final = {**preliminary, "status": "final", "valueQuantity": {**preliminary["valueQuantity"], "value": 98}}  # fmt: skip
    (tmp_path / "a.ndjson").write_text(json.dumps(preliminary))
    (tmp_path / "b.ndjson").write_text(json.dumps(final))
    first, failures, services = await run([tmp_path])
    assert failures == []
    assert dict(first.counts["Observation"]) == {"created": 1, "updated": 1}
    store = services.store("Observation")
    target = derived_id("Observation", "id", "g1")
    assert (await store.current_document(target))["version_id"] == 2
    again = await rerun(services, [tmp_path])
    assert dict(again.counts["Observation"]) == {"unchanged": 2}
    older_alone = await rerun(services, [tmp_path / "a.ndjson"])
    assert dict(older_alone.counts["Observation"]) == {"unchanged": 1}
    current = await store.current_document(target)
    assert (current["version_id"], current["status"]) == (2, "final")


async def test_one_resource_twice_in_one_batch_keeps_the_later_content(tmp_path: Path) -> None:
    one = {**glucose("Patient/p1", 99), "id": "g2"}
    lines = [json.dumps(one), json.dumps({**one, "status": "amended"})]
    (tmp_path / "twice.ndjson").write_text("\n".join(lines))
    dry, _, _ = await run([tmp_path], dry_run=True)
    assert dict(dry.counts["Observation"]) == {"created": 1, "updated": 1}
    report, failures, services = await run([tmp_path])
    assert failures == []
    assert dict(report.counts["Observation"]) == {"created": 1, "updated": 1}
    stored = await services.store("Observation").collection.find_one({})
    assert (stored["status"], stored["version_id"]) == ("amended", 2)


async def test_a_patient_named_by_its_second_identifier_in_a_later_batch_is_the_same_record(
    tmp_path: Path,
) -> None:
    """Batches get their ids ahead of their writing; every identifier of a patient seen in this
    run names it, so a file that lists them in another order does not make a second one."""
    both = [{"system": MRN, "value": "T-1"}, {"system": "http://national.example/id", "value": "N-1"}]  # fmt: skip
    first = {"resourceType": "Patient", "identifier": both}
    second = {"resourceType": "Patient", "identifier": both[::-1], "gender": "female"}
    (tmp_path / "a.ndjson").write_text(json.dumps(first))
    (tmp_path / "b.ndjson").write_text(json.dumps(second))
    report, failures, services = await run([tmp_path])
    assert failures == []
    assert await services.store("Patient").collection.count_documents({}) == 1
    assert dict(report.counts["Patient"]) == {"created": 1, "updated": 1}


async def test_a_deferred_entry_keeps_the_references_of_its_own_bundle(tmp_path: Path) -> None:
    """Retried at the end for its conditional reference, an Encounter still points at the
    patient of its own Bundle (rewritten when it was first read)."""
    urn = "urn:uuid:20000000-0000-4000-8000-000000000002"
    encounter = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
                 "subject": {"reference": urn},
                 "participant": [{"individual": {"reference": "Practitioner?identifier=http://npi|2"}}]}  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": urn, "resource": patient(None, "U-1")}, {"resource": encounter}]}  # fmt: skip
    practitioner = {"resourceType": "Practitioner", "identifier": [{"system": "http://npi", "value": "2"}]}  # fmt: skip
    (tmp_path / "a_bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "b_practitioners.ndjson").write_text(json.dumps(practitioner))
    _, failures, services = await run([tmp_path])
    assert failures == []
    stored = await services.store("Encounter").collection.find_one({})
    patient_doc = await services.store("Patient").collection.find_one({})
    assert stored["subject"]["reference"] == f"Patient/{patient_doc['_id']}"
