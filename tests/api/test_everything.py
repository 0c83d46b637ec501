"""`Patient/{id}/$everything` and `Patient/$everything` (patient-operation-everything.html)
over `compartment_fixtures.POPULATION`, PUT once per module."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest
import pytest_asyncio
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.jsonio import Json
from tests.api.compartment_fixtures import BASE, EVERYTHING_A, POPULATION
from tests.api.test_errors import issue, outcome
from tests.conftest import api_client, make_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _load(client: AsyncClient, resources: list[Json]) -> None:
    for resource in resources:
        response = await client.put(f"/{resource['resourceType']}/{resource['id']}", json=resource)
        assert response.status_code in (200, 201), response.text


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api() -> AsyncIterator[AsyncClient]:
    async with api_client(make_settings()) as client:
        await _load(client, POPULATION)
        yield client


@pytest_asyncio.fixture(loop_scope="module")
async def fresh() -> AsyncIterator[AsyncClient]:
    async with api_client(make_settings()) as client:
        yield client


async def _pages(api: AsyncClient, path: str) -> list[Json]:
    """Every page from `path` on, following `next` links."""
    pages: list[Json] = []
    url: str | None = path
    while url is not None:
        response = await api.get(url)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = next((k["url"] for k in pages[-1]["link"] if k["relation"] == "next"), None)
        if url is not None:
            url = url.removeprefix(BASE)
    return pages


def _keys(pages: list[Json]) -> list[tuple[str, str]]:
    return [
        (e["resource"]["resourceType"], e["resource"]["id"])
        for p in pages
        for e in p.get("entry", [])
    ]


def _by_type(keys: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for resource_type, id_ in keys:
        found.setdefault(resource_type, []).append(id_)
    return {t: sorted(ids) for t, ids in found.items()}


async def test_the_patient_and_its_compartment(api: AsyncClient) -> None:
    (page,) = await _pages(api, "/Patient/pat-a/$everything")
    assert page["type"] == "searchset"
    assert page["total"] == sum(len(ids) for ids in EVERYTHING_A.values())
    keys = _keys([page])
    assert keys[0] == ("Patient", "pat-a")  # the patient first
    assert _by_type(keys) == EVERYTHING_A
    assert {e["search"]["mode"] for e in page["entry"]} == {"match"}
    assert page["entry"][0]["fullUrl"] == f"{BASE}/Patient/pat-a"
    assert page["link"] == [
        {"relation": "self", "url": f"{BASE}/Patient/pat-a/$everything?_count=20"},
        {"relation": "first", "url": f"{BASE}/Patient/pat-a/$everything?_count=20"},
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 12, 13])
async def test_paging_gives_each_resource_once(api: AsyncClient, count: int) -> None:
    pages = await _pages(api, f"/Patient/pat-a/$everything?_count={count}")
    keys = _keys(pages)
    assert len(keys) == len(set(keys))
    assert _by_type(keys) == EVERYTHING_A
    assert all(len(p.get("entry", [])) == count for p in pages[:-1])
    assert 0 < len(pages[-1]["entry"]) <= count  # no empty last page
    assert {p["total"] for p in pages} == {len(keys)}
    for page in pages[1:]:
        self_link = next(k["url"] for k in page["link"] if k["relation"] == "self")
        assert self_link.startswith(f"{BASE}/Patient/pat-a/$everything?_count={count}&_cursor=")


async def test_count_zero_gives_the_total_only(api: AsyncClient) -> None:
    (page,) = await _pages(api, "/Patient/pat-a/$everything?_count=0")
    assert page["total"] == 11
    assert "entry" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("_type=Observation,Condition",
                     {"Condition": ["cond-a1"], "Observation": EVERYTHING_A["Observation"]},
                     id="two-types"),
        pytest.param("_type=Encounter&_type=Patient",
                     {"Patient": ["pat-a", "pat-link"], "Encounter": ["enc-a1", "enc-a2"]},
                     id="repeated"),
        pytest.param("_type=Organization", {}, id="outside-the-compartment"),
        # care dates in 2024; obs-a3 has none; patients and rp-1 have no care date
        pytest.param("start=2024-01-01&end=2024-12-31",
                     {"Patient": ["pat-a", "pat-link"], "Condition": ["cond-a1"],
                      "Encounter": ["enc-a1"], "MedicationStatement": ["ms-a1"],
                      "Observation": ["obs-a1", "obs-a3"], "RelatedPerson": ["rp-1"]},
                     id="start-and-end"),
        pytest.param("start=2025&_type=Observation,Encounter",
                     {"Encounter": ["enc-a2"], "Observation": ["obs-a2", "obs-a3"]},
                     id="start-only"),
        pytest.param("end=2022-12&_type=Observation",
                     {"Observation": ["obs-a3", "obs-b2"]}, id="end-only"),
    ],
)  # fmt: skip
async def test_operation_parameters_narrow_the_record(
    api: AsyncClient, query: str, expected: dict[str, list[str]]
) -> None:
    pages = await _pages(api, f"/Patient/pat-a/$everything?{query}")
    assert _by_type(_keys(pages)) == expected


async def test_since_keeps_what_changed_at_or_after_it(fresh: AsyncClient) -> None:
    await _load(fresh, POPULATION)
    await asyncio.sleep(0.01)
    changed = {**POPULATION[10], "status": "amended"}  # obs-a1
    assert changed["id"] == "obs-a1"
    response = await fresh.put("/Observation/obs-a1", json=changed)
    since = response.json()["meta"]["lastUpdated"]
    pages = await _pages(fresh, f"/Patient/pat-a/$everything?_since={since}")
    assert _keys(pages) == [("Observation", "obs-a1")]
    assert f"_since={since}" in pages[0]["link"][0]["url"]


async def test_every_patient(api: AsyncClient) -> None:
    pages = await _pages(api, "/Patient/$everything?_count=4")
    keys = _keys(pages)
    assert len(keys) == len(set(keys))
    assert _by_type(keys) == {
        "Patient": ["pat-a", "pat-b", "pat-link"],
        "Condition": ["cond-a1", "cond-b1"],
        "Encounter": ["enc-a1", "enc-a2", "enc-b1"],
        "MedicationStatement": ["ms-a1"],
        "Observation": ["obs-a1", "obs-a2", "obs-a3", "obs-b1", "obs-b2", "obs-rp"],
        "RelatedPerson": ["rp-1"],
    }  # not prac-1, org-1 or dev-1: outside every Patient compartment
    assert pages[0]["link"][0]["url"] == f"{BASE}/Patient/$everything?_count=4"


async def test_post_with_parameters(api: AsyncClient) -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "_type", "valueString": "Encounter"},
                      {"name": "start", "valueDate": "2025-01-01"}],
    }  # fmt: skip
    response = await api.post("/Patient/pat-a/$everything", json=parameters)
    assert response.status_code == 200, response.text
    assert _keys([response.json()]) == [("Encounter", "enc-a2")]
    bare = await api.post("/Patient/pat-a/$everything", content=b"")
    assert bare.status_code == 200, bare.text
    assert bare.json()["total"] == 11


async def test_unknown_and_deleted_patients(fresh: AsyncClient) -> None:
    response = await fresh.get("/Patient/nobody/$everything")
    assert response.status_code == 404
    assert response.json() == outcome(
        issue("not-found", "`Patient/nobody` is not known.", details="MSG_NO_EXIST")
    )
    await _load(fresh, POPULATION[:1])
    assert (await fresh.delete("/Patient/pat-a")).status_code == 204
    assert (await fresh.get("/Patient/pat-a/$everything")).status_code == 410


async def test_an_empty_store(fresh: AsyncClient) -> None:
    (page,) = await _pages(fresh, "/Patient/$everything")
    assert page["total"] == 0
    assert "entry" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("_since=yesterday", issue(
            "invalid", "`_since` `yesterday` is not a FHIR date, dateTime or instant.",
            expression="_since"), id="since"),
        pytest.param("start=2024-13", issue(
            "invalid", "`start` `2024-13` is not a FHIR date, dateTime or instant.",
            expression="start"), id="start"),
        pytest.param("end=ge2024", issue(
            "invalid", "`end` `ge2024` is not a FHIR date, dateTime or instant.",
            expression="end"), id="end-with-a-prefix"),
        pytest.param("_type=Observation,Nothing", issue(
            "invalid", "`_type` names types this server does not keep: Nothing.",
            expression="_type"), id="type"),
        pytest.param("_count=-1", issue(
            "invalid", "_count `-1` is not a non-negative integer.", expression="_count"),
            id="count"),
        pytest.param("_cursor=nonsense", issue(
            "invalid", "The `_cursor` is not one this server issued for this search.",
            expression="_cursor"), id="cursor"),
        pytest.param("_cursor=eyJ2IjpbIk5vdGhpbmciLCJ4Il0sImIiOmZhbHNlLCJ0IjoxfQ", issue(
            "invalid", "The `_cursor` is not one this server issued for this operation.",
            expression="_cursor"), id="cursor-of-another-type"),
    ],
)  # fmt: skip
async def test_bad_parameters_are_400(api: AsyncClient, query: str, expected: Json) -> None:
    response = await api.get(f"/Patient/pat-a/$everything?{query}")
    assert response.status_code == 400, response.text
    assert response.json() == outcome(expected)


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Patient"},
        {"resourceType": "Parameters", "parameter": [{"name": "_type"}]},
        {"resourceType": "Parameters", "parameter": [{"name": "_type", "valueQuantity": {}}]},
        {"resourceType": "Parameters", "parameter": ["_type"]},
        {"resourceType": "Parameters", "parameter": [{"valueString": "Patient"}]},
        {"resourceType": "Parameters", "parameter": {"name": "_type"}},
    ],
)
async def test_bad_post_bodies_are_400(api: AsyncClient, body: Json) -> None:
    response = await api.post("/Patient/pat-a/$everything", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_unknown_parameters_are_reported_or_refused(api: AsyncClient) -> None:
    response = await api.get("/Patient/pat-a/$everything?_type=Patient&code=x&_pretty=true")
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert [e["search"]["mode"] for e in entries] == ["match", "match", "outcome"]
    assert entries[-1]["resource"] == outcome(
        issue("not-supported", "Ignored parameters $everything does not define: `code` (send "
              "`Prefer: handling=strict` to get an error instead).", severity="warning")
    )  # fmt: skip
    strict = await api.get(
        "/Patient/pat-a/$everything?code=x", headers={"Prefer": "handling=strict"}
    )
    assert strict.status_code == 400
    assert strict.json() == outcome(
        issue("invalid", "Unknown parameter `code` for $everything.", expression="code")
    )


TEXT = st.text(max_size=12) | st.sampled_from(
    ["", "2024", "ge2024", "2024-02-30", "0000", "9999-12-31T23:59:60Z", "Patient", "$where",
     "Observation,", ",", "-1", "1e3", "99999999999999999999", "\u0000", "%", "a/b"]
)  # fmt: skip
# An empty segment, or a `/` (the path is decoded before routing), is the router's business: a
# redirect to the path without the empty segment.
SEGMENT = TEXT.filter(lambda text: bool(text) and "/" not in text)
NAMES = st.sampled_from(["_type", "_since", "start", "end", "_count", "_cursor", "code", "$or"])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.lists(st.tuples(NAMES, TEXT), max_size=4),
    path=st.sampled_from(["/Patient/pat-a/$everything", "/Patient/$everything"]),
)
async def test_any_parameters_answer_a_bundle_or_an_outcome(
    api: AsyncClient, query: list[tuple[str, str]], path: str
) -> None:
    response = await api.get(path, params=query)
    assert response.status_code in (200, 400), response.text[:300]
    expected = "Bundle" if response.status_code == 200 else "OperationOutcome"
    assert response.json()["resourceType"] == expected


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    compartment=SEGMENT | st.just("Patient"),
    id_=SEGMENT,
    resource_type=SEGMENT | st.just("Observation"),
)
async def test_any_compartment_path_answers_a_bundle_or_an_outcome(
    api: AsyncClient, compartment: str, id_: str, resource_type: str
) -> None:
    path = "/".join(quote(part, safe="") for part in (compartment, id_, resource_type))
    response = await api.get(f"/{path}")
    assert response.status_code in (200, 400, 404, 405), response.text[:300]
    if response.status_code != 405:
        expected = "Bundle" if response.status_code == 200 else "OperationOutcome"
        assert response.json()["resourceType"] == expected
