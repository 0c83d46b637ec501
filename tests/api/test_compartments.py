"""Compartment search: `GET [base]/{Compartment}/{id}/{type}?...` (http.html#search,
compartmentdefinition.html) over `compartment_fixtures.POPULATION`, PUT once per module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.api.compartment_fixtures import BASE, POPULATION
from tests.api.test_errors import issue, outcome
from tests.conftest import populated_client

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api() -> AsyncIterator[AsyncClient]:
    async with populated_client(POPULATION) as client:
        yield client


async def _bundle(api: AsyncClient, path: str, **params: Any) -> Json:
    response = await api.get(path, params=params) if params else await api.get(path)
    assert response.status_code == 200, response.text
    bundle: Json = response.json()
    return bundle


def _ids(bundle: Json, mode: str = "match") -> list[str]:
    return sorted(
        e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode
    )


def _link(bundle: Json, relation: str) -> str | None:
    return next((link["url"] for link in bundle["link"] if link["relation"] == relation), None)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # subject, subject as an absolute URL under our base, and performer (obs-b2)
        pytest.param("Patient/pat-a/Observation", ["obs-a1", "obs-a2", "obs-a3", "obs-b2"],
                     id="patient-observations"),
        pytest.param("Patient/pat-b/Observation", ["obs-b1", "obs-b2", "obs-rp"],
                     id="other-patient"),
        pytest.param("Patient/pat-a/Encounter", ["enc-a1", "enc-a2"], id="patient-encounters"),
        pytest.param("Patient/pat-a/Condition", ["cond-a1"], id="kept-whole-type"),
        pytest.param("Patient/pat-a/MedicationStatement", ["ms-a1"], id="medication-statements"),
        pytest.param("Patient/pat-a/RelatedPerson", ["rp-1"], id="related-person"),
        pytest.param("Patient/pat-a/Patient", ["pat-a", "pat-link"], id="itself-and-link"),
        pytest.param("Patient/nobody/Observation", [], id="no-such-patient-is-empty"),
        pytest.param("Encounter/enc-a1/Observation", ["obs-a1"], id="encounter-observations"),
        pytest.param("Encounter/enc-a1/Condition", ["cond-a1"], id="encounter-conditions"),
        pytest.param("Encounter/enc-a1/Encounter", ["enc-a1"], id="encounter-itself"),
        pytest.param("Practitioner/prac-1/Encounter", ["enc-a1"], id="practitioner-encounters"),
        pytest.param("Practitioner/prac-1/Observation", ["obs-a1"], id="practitioner-performer"),
        pytest.param("Practitioner/prac-1/MedicationStatement", ["ms-a1"], id="practitioner-source"),
        pytest.param("RelatedPerson/rp-1/Observation", ["obs-rp"], id="related-person-performer"),
        pytest.param("Device/dev-1/Observation", ["obs-a3"], id="device-observations"),
    ],
)  # fmt: skip
async def test_compartment_holds_what_the_definition_says(
    api: AsyncClient, path: str, expected: list[str]
) -> None:
    bundle = await _bundle(api, f"/{path}")
    assert _ids(bundle) == expected
    assert bundle["total"] == len(expected)
    assert _link(bundle, "self") == f"{BASE}/{path}?_count=20"


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        pytest.param("Patient/pat-a/Observation", {"code": "8867-4"}, ["obs-a1", "obs-a3"],
                     id="token"),
        pytest.param("Patient/pat-a/Observation", {"date": "ge2025"}, ["obs-a2"], id="date"),
        pytest.param("Patient/pat-a/Observation", {"encounter": "enc-a1"}, ["obs-a1"],
                     id="reference"),
        pytest.param("Patient/pat-a/Observation", {"encounter.date": "2025-06-01"}, ["obs-a2"],
                     id="chain"),
        pytest.param("Patient/pat-a/Observation", {"code:missing": "false", "device:missing": "true"},
                     ["obs-a1", "obs-a2", "obs-b2"], id="missing"),
        pytest.param("Patient/pat-a/Encounter", {"_has:Observation:encounter:code": "718-7"},
                     ["enc-a2"], id="reverse-chain"),
        pytest.param("Patient/pat-b/Observation", {"subject": "pat-a"}, [],
                     id="and-with-membership"),
    ],
)  # fmt: skip
async def test_search_parameters_apply_within_the_compartment(
    api: AsyncClient, path: str, query: dict[str, str], expected: list[str]
) -> None:
    assert _ids(await _bundle(api, f"/{path}", **query)) == expected


async def test_sort_include_and_subsetting_work_inside(api: AsyncClient) -> None:
    bundle = await _bundle(
        api,
        "/Patient/pat-a/Observation",
        _sort="-date",
        _include="Observation:encounter",
        _elements="code",
        date="ge2024",
    )
    entries = bundle["entry"]
    assert [e["resource"]["id"] for e in entries if e["search"]["mode"] == "match"] == [
        "obs-a2",
        "obs-a1",
    ]
    assert "effectiveDateTime" not in entries[0]["resource"]
    assert _ids(bundle, "include") == ["enc-a1", "enc-a2"]


async def test_total_and_count_zero(api: AsyncClient) -> None:
    bundle = await _bundle(api, "/Patient/pat-a/Observation", _count="0")
    assert bundle["total"] == 4
    assert "entry" not in bundle


async def test_paging_keeps_the_compartment_path_and_gives_each_match_once(
    api: AsyncClient,
) -> None:
    seen: list[str] = []
    bundle = await _bundle(api, "/Patient/pat-a/Observation", _count="3", _sort="date")
    while True:
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        assert bundle["total"] == 4
        following = _link(bundle, "next")
        if following is None:
            break
        assert following.startswith(f"{BASE}/Patient/pat-a/Observation?")
        bundle = await _bundle(api, following.removeprefix(BASE))
    assert seen == ["obs-a3", "obs-b2", "obs-a1", "obs-a2"]  # no date first (nulls first)
    back = _link(bundle, "previous")
    assert back is not None
    assert back.startswith(f"{BASE}/Patient/pat-a/Observation?")
    assert _ids(await _bundle(api, back.removeprefix(BASE))) == ["obs-a1", "obs-a3", "obs-b2"]


async def test_post_search_form_in_a_compartment(api: AsyncClient) -> None:
    response = await api.post(
        "/Patient/pat-a/Observation/_search",
        content=b"code=718-7",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert _ids(response.json()) == ["obs-a2", "obs-b2"]
    assert (
        _link(response.json(), "self") == f"{BASE}/Patient/pat-a/Observation?code=718-7&_count=20"
    )


@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        pytest.param(
            "/Patient/pat-a/Organization", 400,
            issue("invalid", "Organization is not in the Patient compartment "
                  "(http://hl7.org/fhir/CompartmentDefinition/patient).",
                  expression="Organization"),
            id="type-not-in-compartment",
        ),
        pytest.param(
            "/Patient/pat-a/Nothing", 404,
            issue("not-found", "Resource type `Nothing` is not supported by this server.",
                  details="MSG_UNKNOWN_TYPE"),
            id="unknown-type",
        ),
        pytest.param(
            "/Organization/org-1/Observation", 404,
            issue("not-found", "`Organization` is not a compartment; R4 defines Device, "
                  "Encounter, Patient, Practitioner, RelatedPerson.", details="MSG_UNKNOWN_TYPE"),
            id="not-a-compartment",
        ),
        pytest.param(
            "/Patient/a_b/Observation", 400,
            issue("invalid", "`a_b` is not a valid FHIR id (1-64 of A-Z a-z 0-9 - .).",
                  details="MSG_ID_INVALID"),
            id="invalid-id",
        ),
        pytest.param(
            "/Patient/pat-a/Observation?date=soon", 400,
            issue("invalid", "Invalid date `soon` for parameter `date`.", expression="date"),
            id="invalid-value",
        ),
    ],
)  # fmt: skip
async def test_bad_compartment_searches_are_operation_outcomes(
    api: AsyncClient, path: str, status: int, expected: Json
) -> None:
    response = await api.get(path)
    assert response.status_code == status, response.text
    assert response.json() == outcome(expected)


async def test_strict_handling_refuses_unknown_parameters(api: AsyncClient) -> None:
    response = await api.get(
        "/Patient/pat-a/Observation",
        params={"nonsense": "1"},
        headers={"Prefer": "handling=strict"},
    )
    assert response.status_code == 400
    assert response.json() == outcome(
        issue("invalid", "Unknown search parameter `nonsense` for Observation.",
              expression="nonsense")
    )  # fmt: skip


async def test_other_methods_are_405(api: AsyncClient) -> None:
    response = await api.delete("/Patient/pat-a/Observation")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


async def test_batch_get_entries_search_compartments_and_run_everything(api: AsyncClient) -> None:
    urls = [
        "Patient/pat-a/Observation?code=718-7",
        f"{BASE}/Patient/pat-b/Condition",
        "Patient/pat-a/$everything?_type=Encounter",
        "Patient/pat-a/Organization",
        "Patient/pat-a",
    ]
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
    }
    response = await api.post("", json=batch)
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert [e["response"]["status"] for e in entries] == ["200 OK"] * 3 + [
        "400 Bad Request",
        "200 OK",
    ]
    assert _ids(entries[0]["resource"]) == ["obs-a2", "obs-b2"]
    assert _ids(entries[1]["resource"]) == ["cond-b1"]
    assert _ids(entries[2]["resource"]) == ["enc-a1", "enc-a2"]
    assert entries[4]["resource"]["id"] == "pat-a"
