"""Bulk Data `$export` over HTTP: kick-off, status polling, manifest, files, delete, errors.

https://hl7.org/fhir/uv/bulkdata/export.html
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from httpx import AsyncClient, Response

from gateway.domain.time import format_instant, utc_now
from gateway.errors import InvalidRequest
from gateway.jsonio import Json
from gateway.services import bulk_jobs
from gateway.services.exports import ExportSink
from tests.api.test_errors import issue, outcome
from tests.conftest import api_client, make_settings

ASYNC = {"Prefer": "respond-async"}
MRN = "http://clinic.example/mrn"
STATUS_URL = re.compile(r"http://test/fhir/\$export-poll-status/([0-9a-f]{32})")


def patient(mrn: str) -> Json:
    return {"resourceType": "Patient", "identifier": [{"system": MRN, "value": mrn}]}


def observation(subject: str) -> Json:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2093-3"}]},
        "subject": {"reference": subject},
        "valueQuantity": {"value": 182, "system": "http://unitsofmeasure.org", "code": "mg/dL"},
    }


ORGANIZATION: Json = {"resourceType": "Organization", "name": "Riverside Hospital"}


async def create(api: AsyncClient, resource: Json) -> Json:
    response = await api.post(f"/{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


async def kick_off(api: AsyncClient, path: str = "/$export", **params: str) -> str:
    """The status URL of a new export job."""
    response = await api.get(path, params=params, headers=ASYNC)
    assert response.status_code == 202, response.text
    location = response.headers["Content-Location"]
    assert STATUS_URL.fullmatch(location), location
    return location


async def finished(api: AsyncClient, location: str) -> Response:
    for _ in range(500):
        response = await api.get(location)
        if response.status_code != 202:
            return response
        await asyncio.sleep(0.01)
    raise AssertionError("the export job did not finish")


async def manifest_of(api: AsyncClient, location: str) -> Json:
    response = await finished(api, location)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    manifest: Json = response.json()
    return manifest


async def download(api: AsyncClient, url: str) -> list[Json]:
    response = await api.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+ndjson"
    return [orjson.loads(line) for line in response.content.splitlines()]


async def exported(api: AsyncClient, manifest: Json) -> dict[str, list[Json]]:
    return {item["type"]: await download(api, item["url"]) for item in manifest["output"]}


@pytest.fixture
async def stored(api: AsyncClient) -> dict[str, Json]:
    ana = await create(api, patient("MRN-1"))
    bo = await create(api, patient("MRN-2"))
    return {
        "ana": ana,
        "bo": bo,
        "ana_obs": await create(api, observation(f"Patient/{ana['id']}")),
        "bo_obs": await create(api, observation(f"Patient/{bo['id']}")),
        "organization": await create(api, ORGANIZATION),
    }


async def test_kick_off_without_prefer_respond_async_is_400(api: AsyncClient) -> None:
    response = await api.get("/$export")
    assert response.status_code == 400
    assert response.json() == outcome(
        issue("invalid", "$export needs the header `Prefer: respond-async`.")
    )
    response = await api.get("/Patient/$export", headers={"Prefer": "return=minimal"})
    assert response.status_code == 400


async def test_system_export_writes_every_stored_resource(
    api: AsyncClient, stored: dict[str, Json]
) -> None:
    before = utc_now()
    location = await kick_off(api)
    job_id = STATUS_URL.fullmatch(location).group(1)  # type: ignore[union-attr]
    manifest = await manifest_of(api, location)

    files = f"http://test/fhir/$export-file/{job_id}"
    assert manifest == {
        "transactionTime": manifest["transactionTime"],
        "request": "http://test/fhir/$export",
        "requiresAccessToken": False,
        "output": [
            {"type": "Observation", "url": f"{files}/Observation.ndjson", "count": 2},
            {"type": "Organization", "url": f"{files}/Organization.ndjson", "count": 1},
            {"type": "Patient", "url": f"{files}/Patient.ndjson", "count": 2},
        ],
        "error": [],
    }
    assert format_instant(before) <= manifest["transactionTime"] <= format_instant(utc_now())
    assert await exported(api, manifest) == {  # each file in id order
        "Observation": by_id(stored["ana_obs"], stored["bo_obs"]),
        "Organization": [stored["organization"]],
        "Patient": by_id(stored["ana"], stored["bo"]),
    }


def by_id(*resources: Json) -> list[Json]:
    return sorted(resources, key=lambda r: str(r["id"]))


async def test_every_downloaded_line_is_the_stored_resource(
    api: AsyncClient, stored: dict[str, Json]
) -> None:
    manifest = await manifest_of(api, await kick_off(api))
    for resource_type, lines in (await exported(api, manifest)).items():
        for line in lines:
            read = await api.get(f"/{resource_type}/{line['id']}")
            assert read.json() == line


async def test_type_and_since_filter_the_export(api: AsyncClient, stored: dict[str, Json]) -> None:
    manifest = await manifest_of(api, await kick_off(api, _type="Patient,Organization"))
    assert [item["type"] for item in manifest["output"]] == ["Patient", "Organization"]
    assert manifest["request"] == "http://test/fhir/$export?_type=Patient%2COrganization"

    since = utc_now()
    await asyncio.sleep(0.005)
    late = await create(api, patient("MRN-3"))
    params = {"_since": format_instant(since), "_outputFormat": "application/fhir+ndjson"}
    manifest = await manifest_of(api, await kick_off(api, **params))
    assert await exported(api, manifest) == {"Patient": [late]}


async def test_repeated_type_parameters_are_combined(
    api: AsyncClient, stored: dict[str, Json]
) -> None:
    response = await api.get("/$export?_type=Patient&_type=Observation", headers=ASYNC)
    assert response.status_code == 202, response.text
    manifest = await manifest_of(api, response.headers["Content-Location"])
    assert [(i["type"], i["count"]) for i in manifest["output"]] == [
        ("Patient", 2),
        ("Observation", 2),
    ]


async def test_patient_export_keeps_the_patient_compartment(
    api: AsyncClient, stored: dict[str, Json]
) -> None:
    manifest = await manifest_of(
        api, await kick_off(api, "/Patient/$export", _outputFormat="ndjson")
    )
    assert manifest["request"] == "http://test/fhir/Patient/$export?_outputFormat=ndjson"
    assert {i["type"]: i["count"] for i in manifest["output"]} == {"Observation": 2, "Patient": 2}

    response = await api.get("/Patient/$export?_type=Organization", headers=ASYNC)
    assert response.status_code == 400
    assert "outside the Patient compartment" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        pytest.param("_type=Banana", "_type", id="unknown-type"),
        pytest.param("_since=yesterday", "_since", id="bad-since"),
        pytest.param("_since=2026-01-01T10:00:00", "_since", id="since-without-zone"),
        pytest.param("_outputFormat=text/csv", "_outputFormat", id="output-format"),
        pytest.param("_typeFilter=Observation%3Fcode%3D1", "_typeFilter", id="unsupported"),
    ],
)
async def test_bad_kick_off_parameters_are_400(
    api: AsyncClient, query: str, expression: str
) -> None:
    response = await api.get(f"/$export?{query}", headers=ASYNC)
    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_lenient_handling_ignores_unsupported_parameters(api: AsyncClient) -> None:
    headers = {"Prefer": "respond-async, handling=lenient"}
    response = await api.get("/$export?_elements=id&_type=Patient", headers=headers)
    assert response.status_code == 202, response.text
    manifest = await manifest_of(api, response.headers["Content-Location"])
    assert manifest["output"] == []


async def test_unknown_job_and_file_are_404(api: AsyncClient, stored: dict[str, Json]) -> None:
    response = await api.get("/$export-poll-status/feedface")
    assert response.status_code == 404
    assert response.json() == outcome(issue("not-found", "Export job `feedface` was not found."))
    assert (await api.delete("/$export-poll-status/feedface")).status_code == 404
    assert (await api.get("/$export-file/feedface/Patient.ndjson")).status_code == 404

    location = await kick_off(api)
    manifest = await manifest_of(api, location)
    job_id = STATUS_URL.fullmatch(location).group(1)  # type: ignore[union-attr]
    for name in ("Encounter.ndjson", "..%2F..%2Fetc%2Fpasswd"):
        response = await api.get(f"/$export-file/{job_id}/{name}")
        assert response.status_code == 404, name
    assert len(manifest["output"]) == 3


async def test_delete_removes_the_job_and_its_files(
    api: AsyncClient, stored: dict[str, Json]
) -> None:
    location = await kick_off(api)
    manifest = await manifest_of(api, location)
    response = await api.delete(location)
    assert response.status_code == 202
    assert response.json()["issue"][0]["code"] == "informational"
    assert (await api.get(location)).status_code == 404
    assert (await api.get(manifest["output"][0]["url"])).status_code == 404


class Gate:
    """Holds an export job at its first batch until released."""

    def __init__(self) -> None:
        self.reached, self.release = asyncio.Event(), asyncio.Event()

    async def export(self, services: Any, *, sink: ExportSink, progress: Any, **_: Any) -> Any:
        from gateway.services.exports import Progress

        progress(Progress("Patient", 0, 3, 1000))
        self.reached.set()
        await self.release.wait()
        return {}


async def test_a_running_job_answers_202_with_progress_and_can_be_cancelled(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    monkeypatch.setattr(bulk_jobs, "export", gate.export)
    location = await kick_off(api)
    await asyncio.wait_for(gate.reached.wait(), timeout=5)
    response = await api.get(location)
    assert response.status_code == 202
    assert response.headers["X-Progress"] == "1000 resources exported; at Patient (1 of 3 types)"
    assert response.headers["Retry-After"] == "1"
    assert len(response.headers["X-Progress"]) < 100

    assert (await api.delete(location)).status_code == 202
    assert (await api.get(location)).status_code == 404


async def test_a_failed_job_answers_500_with_an_operation_outcome(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bulk_jobs, "export", broken)
    response = await finished(api, await kick_off(api))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/fhir+json")
    [failure] = response.json()["issue"]
    assert failure["code"] == "exception"
    assert failure["severity"] == "fatal"
    assert "disk on fire" not in failure["diagnostics"]
    assert "disk on fire" in caplog.text

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise InvalidRequest("The store refused the export.")

    monkeypatch.setattr(bulk_jobs, "export", refused)
    response = await finished(api, await kick_off(api))
    assert response.status_code == 500
    assert response.json() == outcome(issue("invalid", "The store refused the export."))


async def test_files_go_to_export_dir_and_are_removed_at_shutdown(tmp_path: Path) -> None:
    wrapper = api_client(make_settings(export_dir=tmp_path))
    async with wrapper as api:
        await create(api, patient("MRN-1"))
        location = await kick_off(api)
        await manifest_of(api, location)
        job_id = STATUS_URL.fullmatch(location).group(1)  # type: ignore[union-attr]
        assert [p.name for p in (tmp_path / job_id).iterdir()] == ["Patient.ndjson"]
    assert list(tmp_path.iterdir()) == []
