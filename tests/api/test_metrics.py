"""`/metrics`: Prometheus' exposition of what the envelope counted, per app, bounded labels."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from httpx import AsyncClient
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from gateway.http import metrics as request_metrics
from gateway.http.audit_paths import classify
from tests.auth.tokens_for_tests import TestIssuer, bearer
from tests.conftest import api_client, make_settings

ROOT = "http://test"
PATIENT = {"resourceType": "Patient", "gender": "female"}


async def scrape(client: AsyncClient, **headers: str) -> list[Sample]:
    """Every sample of one scrape, parsed as Prometheus parses it."""
    r = await client.get(f"{ROOT}/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return [s for f in text_string_to_metric_families(r.text) for s in f.samples]


def value(samples: list[Sample], name: str, **labels: str) -> float:
    """The sample `name` whose labels include `labels` (0 when there is none)."""
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else 0.0


def requests(samples: list[Sample], interaction: str, type_: str, status: int) -> float:
    return value(
        samples,
        "fhir_gateway_requests_total",
        interaction=interaction,
        type=type_,
        status=str(status),
    )


async def test_counters_move_by_exactly_the_requests_made(api: AsyncClient) -> None:
    r = await api.put("/Patient/p1", json={**PATIENT, "id": "p1"})
    assert r.status_code == 201, r.text
    for _ in range(3):
        assert (await api.get("/Patient/p1")).status_code == 200
    assert (await api.get("/Patient/missing")).status_code == 404
    assert (await api.get("/Patient?gender=female")).status_code == 200
    samples = await scrape(api)
    assert requests(samples, "update", "Patient", 201) == 1
    assert requests(samples, "read", "Patient", 200) == 3
    assert requests(samples, "read", "Patient", 404) == 1
    assert requests(samples, "search-type", "Patient", 200) == 1
    assert value(
        samples, "fhir_gateway_request_duration_seconds_count", interaction="read", type="Patient"
    ) == 4  # fmt: skip
    assert value(samples, "fhir_gateway_requests_in_flight") == 1  # the scrape itself
    again = await scrape(api)
    assert requests(again, "read", "Patient", 200) == 3  # a scrape counts only as itself
    assert requests(again, "none", "none", 200) == 1  # the first scrape


async def test_unknown_types_are_bucketed_and_no_id_or_query_is_a_label(api: AsyncClient) -> None:
    assert (await api.get("/NotAType/secret-id-1")).status_code == 404
    assert (await api.get("/Patient/secret-id-2")).status_code == 404
    assert (await api.get("/Observation?code=secret-code-3")).status_code == 200
    samples = await scrape(api)
    assert requests(samples, "read", "other", 404) == 1
    labels = {v for s in samples for v in s.labels.values()}
    assert not {v for v in labels if "secret" in v or "NotAType" in v}, labels
    assert {s.labels["type"] for s in samples if "type" in s.labels} <= {
        "Patient", "Observation", "other", "none"
    }  # fmt: skip


async def test_a_batch_counts_the_resources_it_stored() -> None:
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {**PATIENT, "id": "b1"}, "request": {"method": "PUT", "url": "Patient/b1"}},
        {"resource": {**PATIENT, "id": "b2"}, "request": {"method": "PUT", "url": "Patient/b2"}},
        {"resource": {"resourceType": "Patient", "gender": "banana-no", "birthDate": "x"},
         "request": {"method": "POST", "url": "Patient"}},
        {"request": {"method": "GET", "url": "Patient/b1"}},
    ]}  # fmt: skip
    async with api_client(make_settings()) as client:
        r = await client.post("", json=bundle)
        assert r.status_code == 200, r.text
        statuses = [e["response"]["status"][:3] for e in r.json()["entry"]]
        assert statuses == ["201", "201", "400", "200"]
        transaction = {**bundle, "type": "transaction", "entry": bundle["entry"][:1]}
        assert (await client.post("", json=transaction)).status_code == 200
        samples = await scrape(client)
    assert value(samples, "fhir_gateway_imported_resources_total", via="batch") == 2
    assert value(samples, "fhir_gateway_imported_resources_total", via="transaction") == 1
    assert requests(samples, "transaction", "none", 200) == 2  # POST [base]: R4 names it so


async def test_two_apps_count_apart() -> None:
    async with api_client(make_settings()) as one, api_client(make_settings()) as two:
        for _ in range(2):
            assert (await one.get("/Patient/x")).status_code == 404
        assert (await two.get("/Patient/x")).status_code == 404
        first, second = await scrape(one), await scrape(two)
    assert requests(first, "read", "Patient", 404) == 2
    assert requests(second, "read", "Patient", 404) == 1


async def test_metrics_off_serves_and_counts_nothing() -> None:
    opened = api_client(make_settings(metrics=False))
    async with opened as client:
        assert (await client.get(f"{ROOT}/metrics")).status_code == 404
        assert (await client.get("/Patient/x")).status_code == 404
    assert opened.app.state.metrics is None


async def test_the_metrics_are_not_audited() -> None:
    assert classify("GET", "/metrics", base="/fhir") is None
    assert classify("GET", "/metrics", base="") is None  # the FHIR base at the root too


async def test_audit_events_written_and_dropped_are_counted() -> None:
    opened = api_client(make_settings(audit=True))
    async with opened as client:
        for _ in range(3):
            assert (await client.get("/Patient/x")).status_code == 404
        await opened.app.state.auditor.writer.stop()  # flushes the three
        assert (await client.get("/Patient/y")).status_code == 404  # reaches a stopped writer
        samples = await scrape(client)  # not audited itself
    assert value(samples, "fhir_gateway_audit_events_total", outcome="written") == 3
    assert value(samples, "fhir_gateway_audit_events_total", outcome="dropped") == 1


# --- authorization ----------------------------------------------------------------------------


async def test_a_system_token_reads_the_metrics_and_refusals_are_counted(tmp_path: Path) -> None:
    issuer = TestIssuer.shared()
    async with issuer.client(tmp_path) as client:
        assert (await client.get(f"{ROOT}/metrics")).status_code == 401
        user = bearer(issuer.token(scope="user/*.rs"))
        r = await client.get(f"{ROOT}/metrics", headers=user)
        assert r.status_code == 403, r.text
        assert r.json()["issue"][0]["code"] == "forbidden"
        patient = bearer(issuer.token(scope="patient/Patient.rs", patient="p1"))
        assert (await client.get("/Observation/o1", headers=patient)).status_code == 403
        assert (await client.get("/Patient/p1")).status_code == 401
        samples = await scrape(client, **bearer(issuer.token(scope="system/Patient.rs")))
    assert requests(samples, "none", "none", 401) == 1
    assert requests(samples, "none", "none", 403) == 1
    assert requests(samples, "read", "Observation", 403) == 1
    assert requests(samples, "read", "Patient", 401) == 1


async def test_requests_reach_the_values_a_batch_at_a_time_and_at_every_scrape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(request_metrics, "BATCH", 3)
    opened = api_client(make_settings())
    async with opened as client:
        registry = opened.app.state.metrics.registry
        read = {"interaction": "read", "type": "Patient", "status": "404"}
        for _ in range(2):
            assert (await client.get("/Patient/x")).status_code == 404
        assert registry.get_sample_value("fhir_gateway_requests_total", read) is None  # noted
        assert (await client.get("/Patient/x")).status_code == 404
        assert registry.get_sample_value("fhir_gateway_requests_total", read) == 3  # a batch
        assert (await client.get("/Patient/x")).status_code == 404
        assert requests(await scrape(client), "read", "Patient", 404) == 4  # the scrape adds


async def test_a_scraper_asking_for_openmetrics_gets_it(api: AsyncClient) -> None:
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    r = await api.get(f"{ROOT}/metrics", headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    names = {f.name for f in openmetrics_families(r.text)}
    assert {"fhir_gateway_requests", "fhir_gateway_request_duration_seconds"} <= names


async def test_an_export_job_counts_its_start_its_end_and_what_it_wrote(api: AsyncClient) -> None:
    for i in range(2):
        r = await api.put(f"/Patient/e{i}", json={**PATIENT, "id": f"e{i}"})
        assert r.status_code == 201, r.text
    kick_off = await api.get("/$export?_type=Patient", headers={"Prefer": "respond-async"})
    assert kick_off.status_code == 202, kick_off.text
    status = kick_off.headers["content-location"]
    for _ in range(200):  # the job runs in a task of this app: poll until it ends
        polled = await api.get(status)
        if polled.status_code != 202:
            break
        await asyncio.sleep(0.01)
    assert polled.status_code == 200, polled.text
    samples = await scrape(api)
    assert value(samples, "fhir_gateway_export_jobs_total", state="started") == 1
    assert value(samples, "fhir_gateway_export_jobs_total", state="completed") == 1
    assert value(samples, "fhir_gateway_export_jobs_total", state="failed") == 0
    assert value(samples, "fhir_gateway_exported_resources_total", type="Patient") == 2
