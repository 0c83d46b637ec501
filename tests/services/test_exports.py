"""gateway.services.exports and `fhir-gateway export`: what is exported, filtered and written."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from httpx import AsyncClient
from typer.testing import CliRunner

from bench.lab_bundles import bundles
from gateway.cli.main import cli
from gateway.domain.time import utc_now
from gateway.errors import InvalidRequest
from gateway.jsonio import Json
from gateway.services import context, exports, resources
from gateway.services.context import Services, open_services
from gateway.services.exports import NdjsonSink, Progress, export, export_filter
from gateway.settings import Settings
from gateway.store.embedded import embedded_client
from tests.conftest import api_client, make_settings

MRN = "http://clinic.example/mrn"


def patient(mrn: str) -> Json:
    return {"resourceType": "Patient", "identifier": [{"system": MRN, "value": mrn}]}


def observation(subject: str, value: float = 5.4) -> Json:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
        "subject": {"reference": subject},
        "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": "%"},
    }


def condition(subject: str) -> Json:
    return {
        "resourceType": "Condition",
        "code": {"text": "Hyperlipidemia"},
        "subject": {"reference": subject},
    }


ORGANIZATION: Json = {"resourceType": "Organization", "name": "Riverside Hospital"}


class Gateway:
    """The app's HTTP client and its services, on one embedded store."""

    def __init__(self, client: AsyncClient, services: Services) -> None:
        self.client, self.services = client, services

    async def create(self, resource: Json) -> Json:
        response = await self.client.post(f"/{resource['resourceType']}", json=resource)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    async def read(self, resource_type: str, resource_id: str) -> Json:
        response = await self.client.get(f"/{resource_type}/{resource_id}")
        assert response.status_code == 200, response.text
        found: Json = response.json()
        return found


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    wrapper = api_client(make_settings())
    async with wrapper as client:
        yield Gateway(client, wrapper.app.state.services)


class ListSink:
    """Keeps what it is given, in order."""

    def __init__(self) -> None:
        self.resources: dict[str, list[Json]] = {}
        self.batches: list[tuple[str, int]] = []
        self.finished: list[str] = []

    async def write(self, resource_type: str, batch: list[Json]) -> None:
        self.resources.setdefault(resource_type, []).extend(batch)
        self.batches.append((resource_type, len(batch)))

    async def finish(self, resource_type: str) -> None:
        self.finished.append(resource_type)


def ndjson(path: Path) -> list[Json]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [orjson.loads(line) for line in data.splitlines()]


def ids(resources: list[Json]) -> set[str]:
    return {r["id"] for r in resources}


async def run(gateway: Gateway, **options: Any) -> tuple[dict[str, int], ListSink]:
    sink = ListSink()
    arguments: dict[str, Any] = {"types": None, "since": None, "patient_ids": None, **options}
    counts = await export(gateway.services, sink=sink, **arguments)
    return counts, sink


async def test_every_current_resource_is_written_to_one_file_per_type(
    gateway: Gateway, tmp_path: Path
) -> None:
    ana = await gateway.create(patient("MRN-1"))
    kept = await gateway.create(observation(f"Patient/{ana['id']}"))
    gone = await gateway.create(observation(f"Patient/{ana['id']}", 7.1))
    assert (await gateway.client.delete(f"/Observation/{gone['id']}")).status_code == 204
    updated = {**ana, "gender": "female"}
    assert (await gateway.client.put(f"/Patient/{ana['id']}", json=updated)).status_code == 200
    organization = await gateway.create(ORGANIZATION)

    sink = NdjsonSink(tmp_path)
    counts = await export(gateway.services, types=None, since=None, patient_ids=None, sink=sink)

    assert counts == {"Observation": 1, "Organization": 1, "Patient": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Observation.ndjson",
        "Organization.ndjson",
        "Patient.ndjson",
    ]
    assert ndjson(tmp_path / "Patient.ndjson") == [await gateway.read("Patient", ana["id"])]
    assert ndjson(tmp_path / "Observation.ndjson") == [kept]
    assert ndjson(tmp_path / "Organization.ndjson") == [organization]
    assert ndjson(tmp_path / "Patient.ndjson")[0]["meta"]["versionId"] == "2"


async def test_an_empty_store_exports_nothing(gateway: Gateway, tmp_path: Path) -> None:
    counts = await export(
        gateway.services, types=None, since=None, patient_ids=None, sink=NdjsonSink(tmp_path)
    )
    assert counts == {}
    assert list(tmp_path.iterdir()) == []


async def test_only_types_with_a_collection_are_opened(gateway: Gateway) -> None:
    await gateway.create(ORGANIZATION)
    before = set(gateway.services.storage.stores)
    counts, _ = await run(gateway)
    assert counts == {"Organization": 1}
    assert set(gateway.services.storage.stores) == before


async def test_types_restrict_the_export(gateway: Gateway) -> None:
    ana = await gateway.create(patient("MRN-1"))
    await gateway.create(observation(f"Patient/{ana['id']}"))
    await gateway.create(ORGANIZATION)
    counts, sink = await run(gateway, types=["Patient", "Organization", "Encounter"])
    assert counts == {"Organization": 1, "Patient": 1}
    assert list(sink.resources) == ["Patient", "Organization"]  # as asked


async def test_since_keeps_resources_updated_after_it(gateway: Gateway) -> None:
    old = await gateway.create(patient("MRN-1"))
    since = utc_now()
    await asyncio.sleep(0.005)
    new = await gateway.create(patient("MRN-2"))
    counts, sink = await run(gateway, since=since)
    assert counts == {"Patient": 1}
    assert sink.resources["Patient"] == [new]
    aware = since.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))
    assert (await run(gateway, since=aware))[1].resources["Patient"] == [new]
    earlier, _ = await run(gateway, since=since - timedelta(days=1))
    assert earlier == {"Patient": 2}
    assert old not in sink.resources["Patient"]


async def test_patient_ids_export_their_compartments(gateway: Gateway) -> None:
    ana = await gateway.create(patient("MRN-1"))
    bo = await gateway.create(patient("MRN-2"))
    ana_obs = await gateway.create(observation(f"Patient/{ana['id']}"))
    await gateway.create(observation(f"Patient/{bo['id']}"))
    ana_condition = await gateway.create(condition(f"Patient/{ana['id']}"))
    await gateway.create(condition(f"Patient/{bo['id']}"))
    await gateway.create(ORGANIZATION)

    counts, sink = await run(gateway, patient_ids=[ana["id"]])

    assert counts == {"Condition": 1, "Observation": 1, "Patient": 1}
    assert sink.resources == {
        "Condition": [ana_condition],
        "Observation": [ana_obs],
        "Patient": [await gateway.read("Patient", ana["id"])],
    }
    both, _ = await run(gateway, patient_ids=[ana["id"], bo["id"]])
    assert both == {"Condition": 2, "Observation": 2, "Patient": 2}


async def test_the_compartment_of_every_patient_leaves_out_other_resources(
    gateway: Gateway,
) -> None:
    ana = await gateway.create(patient("MRN-1"))
    await gateway.create(observation(f"Patient/{ana['id']}"))
    await gateway.create(observation("Group/g1"))  # a subject, but not a Patient
    await gateway.create(ORGANIZATION)
    counts, _ = await run(gateway, compartment=True)
    assert counts == {"Observation": 1, "Patient": 1}


def test_absolute_references_under_our_base_are_in_the_compartment() -> None:
    query = export_filter(
        "Observation", since=None, compartment=True, base_urls=("http://test/fhir",)
    )
    prefix = {"$regex": r"^(?:Patient/|http://test/fhir/Patient/)"}
    assert query == {"$or": [{"index.subject": prefix}, {"index.performer": prefix}]}
    by_id = export_filter("Observation", since=None, patient_ids=["p1"], base_urls=("http://b",))
    forms = {"$in": ["Patient/p1", "http://b/Patient/p1"]}
    assert by_id == {"$or": [{"index.subject": forms}, {"index.performer": forms}]}


async def test_the_compartment_is_r4s(gateway: Gateway) -> None:
    """Observation.performer puts an Observation in the performer's compartment; a Device
    refers to its patient, yet R4 leaves Device out of the Patient compartment."""
    ana = await gateway.create(patient("MRN-1"))
    performed = {**observation("Group/g1"), "performer": [{"reference": f"Patient/{ana['id']}"}]}
    await gateway.create(performed)
    await gateway.create(
        {"resourceType": "Device", "patient": {"reference": f"Patient/{ana['id']}"}}
    )
    counts, _ = await run(gateway, patient_ids=[ana["id"]])
    assert counts == {"Observation": 1, "Patient": 1}


async def test_unknown_and_out_of_compartment_types_are_invalid(gateway: Gateway) -> None:
    with pytest.raises(InvalidRequest, match="`Banana`"):
        await run(gateway, types=["Patient", "Banana"])
    with pytest.raises(InvalidRequest, match="outside the Patient compartment: `Organization`"):
        await run(gateway, types=["Organization"], patient_ids=["p1"])


async def test_documents_are_read_and_written_in_batches(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    created = [await gateway.create(patient(f"MRN-{n}")) for n in range(5)]
    seen: list[Progress] = []
    counts, sink = await run(gateway, progress=seen.append)
    assert counts == {"Patient": 5}
    assert sink.batches == [("Patient", 2), ("Patient", 2), ("Patient", 1)]
    assert sink.finished == ["Patient"]
    assert [p.exported for p in seen] == [2, 4, 5]
    assert seen[-1].describe() == "5 resources exported; at Patient (1 of 1 types)"
    assert sorted(ids(sink.resources["Patient"])) == sorted(ids(created))


async def test_gzip_files_hold_the_same_lines(gateway: Gateway, tmp_path: Path) -> None:
    ana = await gateway.create(patient("MRN-1"))
    sink = NdjsonSink(tmp_path, gzip=True)
    counts = await export(gateway.services, types=None, since=None, patient_ids=None, sink=sink)
    assert counts == {"Patient": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["Patient.ndjson.gz"]
    assert ndjson(tmp_path / "Patient.ndjson.gz") == [ana]


def without_meta(resource: Json) -> Json:
    return {k: v for k, v in resource.items() if k != "meta"}


async def test_loading_an_export_reproduces_the_data_set(gateway: Gateway, tmp_path: Path) -> None:
    for bundle in bundles(patients=3, reports_per_patient=5, seed=8):
        assert (await gateway.client.post("", json=bundle)).status_code == 200
    first = await export(
        gateway.services, types=None, since=None, patient_ids=None, sink=NdjsonSink(tmp_path / "a")
    )
    assert first == {"DiagnosticReport": 15, "Observation": 93, "Patient": 3}

    fresh = api_client(make_settings())
    async with fresh as other:
        for path in sorted((tmp_path / "a").iterdir()):
            for resource in ndjson(path):
                response = await other.put(
                    f"/{resource['resourceType']}/{resource['id']}", json=resource
                )
                assert response.status_code == 201, response.text
        services, sink = fresh.app.state.services, NdjsonSink(tmp_path / "b")
        second = await export(services, types=None, since=None, patient_ids=None, sink=sink)
    assert second == first
    for name in first:
        exported = ndjson(tmp_path / "a" / f"{name}.ndjson")
        reloaded = ndjson(tmp_path / "b" / f"{name}.ndjson")
        assert [without_meta(r) for r in reloaded] == [without_meta(r) for r in exported]


# The CLI ----------------------------------------------------------------------------------


def test_cli_without_a_mongodb_uri_explains_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    result = CliRunner().invoke(cli, ["export", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "MONGODB_URI" in result.output
    assert "empty" in result.output
    assert "[base]/$export" in result.output


def test_cli_exports_a_database_and_prints_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = embedded_client()  # stands in for the MongoDB the URI names
    monkeypatch.setattr(context, "make_client", lambda settings: client)
    settings = Settings(mongodb_uri="mongodb://mongo.example:27017")

    async def load() -> str:
        services = await open_services(settings)
        ana = await resources.create(services.store("Patient"), patient("MRN-1"))
        await resources.create(services.store("Patient"), patient("MRN-2"))
        await resources.create(
            services.store("Observation"), observation(f"Patient/{ana.version.id}")
        )
        await resources.create(services.store("Organization"), ORGANIZATION)
        return ana.version.id

    ana_id = asyncio.run(load())
    uri = ["--mongodb-uri", "mongodb://mongo.example:27017"]
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "all"), "--gzip", *uri])
    assert result.exit_code == 0, result.output
    assert "Patient" in result.output
    assert "resources/s" in result.output
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "Observation.ndjson.gz",
        "Organization.ndjson.gz",
        "Patient.ndjson.gz",
    ]

    options = ["--type", "Patient", "--type", "Observation", "--patient", ana_id]
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "ana"), *options, *uri])
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in ndjson(tmp_path / "ana" / "Patient.ndjson")] == [ana_id]
    assert len(ndjson(tmp_path / "ana" / "Observation.ndjson")) == 1

    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "none"), "--since", future, *uri])
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "none").iterdir()) == []


def test_cli_refuses_a_bad_since_and_unknown_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = embedded_client()
    monkeypatch.setattr(context, "make_client", lambda settings: client)
    uri = ["--mongodb-uri", "mongodb://mongo.example:27017"]
    result = CliRunner().invoke(cli, ["export", str(tmp_path), "--since", "yesterday", *uri])
    assert result.exit_code == 2
    assert "--since" in result.output
    result = CliRunner().invoke(cli, ["export", str(tmp_path), "--type", "Banana", *uri])
    assert result.exit_code == 2
    assert "Banana" in result.output
