"""The conformance resources of `fhir_profiles/` served read-only: read, search, history."""

from __future__ import annotations

from datetime import datetime

import pytest
from httpx import AsyncClient

from fhir_profiles.canonical import Canonicals, held, package_resources
from gateway.jsonio import dumps
from gateway.search.index import build_indexer
from gateway.store import conformance
from gateway.store.conformance import changed, conformance_store, served, shared_document
from gateway.store.repository import stored_document
from mappers.generic import generic_mapper
from tests.conftest import api_client, make_settings

BP = "http://hl7.org/fhir/StructureDefinition/bp"
GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"
GENDER_CS = "http://hl7.org/fhir/administrative-gender"


def _ids(bundle: dict[str, object]) -> list[str]:
    entries = bundle.get("entry", [])
    assert isinstance(entries, list)
    return [entry["resource"]["id"] for entry in entries]


async def test_read_is_the_held_resource_at_version_1(api: AsyncClient) -> None:
    response = await api.get("/ValueSet/administrative-gender")
    assert response.status_code == 200, response.text
    resource = response.json()
    assert resource["meta"] == {"versionId": "1", "lastUpdated": "2019-10-31T22:29:23.356Z"}
    assert response.headers["etag"] == 'W/"1"'
    held_resource = held().resolve(GENDER_VS)
    assert held_resource is not None
    assert {k: v for k, v in resource.items() if k != "meta"} == held_resource


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(f"StructureDefinition?url={BP}", ["bp"], id="sd-url"),
        pytest.param("StructureDefinition?name=observation-bp", ["bp"], id="sd-name"),
        pytest.param(
            "StructureDefinition?type=Observation&derivation=constraint"
            "&url:below=http://hl7.org/fhir/StructureDefinition&_count=100&_sort=_id",
            [
                "bmi",
                "bodyheight",
                "bodytemp",
                "bodyweight",
                "bp",
                "headcircum",
                "heartrate",
                "oxygensat",
                "resprate",
                "vitalsigns",
                "vitalspanel",
            ],
            id="sd-type-constraint",
        ),
        pytest.param("ValueSet?name=AdministrativeGender", ["administrative-gender"], id="vs-name"),
        pytest.param(f"ValueSet?url={GENDER_VS}", ["administrative-gender"], id="vs-url"),
        pytest.param(
            f"CodeSystem?url={GENDER_CS}&version=4.0.1", ["administrative-gender"], id="cs-url-ver"
        ),
        pytest.param(f"CodeSystem?url={GENDER_CS}&version=3.0.2", [], id="cs-other-version"),
        pytest.param(f"CodeSystem?system={GENDER_CS}", ["administrative-gender"], id="cs-system"),
        pytest.param(
            "ConceptMap?source-uri=http://hl7.org/fhir/ValueSet/contact-point-use&_sort=_id",
            ["cm-contact-point-use-v2", "cm-contact-point-use-v3"],
            id="cm-source",
        ),
    ],
)
async def test_search_by_r4_parameters(api: AsyncClient, query: str, expected: list[str]) -> None:
    response = await api.get(f"/{query}")
    assert response.status_code == 200, response.text
    assert _ids(response.json()) == expected


SIDE_EFFECT = "http://fhir-gateway.org/fhir/StructureDefinition/medication-side-effect"


async def test_the_side_effect_extension_resolves_by_its_url(api: AsyncClient) -> None:
    """mappers/medication_statement.py writes this extension URL; it resolves to its definition."""
    found = (await api.get(f"/StructureDefinition?url={SIDE_EFFECT}")).json()
    assert [e["fullUrl"] for e in found["entry"]] == [
        "http://test/fhir/StructureDefinition/medication-side-effect"
    ]
    extension = found["entry"][0]["resource"]
    assert (extension["type"], extension["derivation"]) == ("Extension", "constraint")
    assert "snapshot" in extension  # built from the differential (scripts/build_package.py)


async def test_every_package_resource_is_served_at_its_id(api: AsyncClient) -> None:
    for resource in package_resources():
        response = await api.get(f"/{resource['resourceType']}/{resource['id']}")
        assert response.status_code == 200, resource["url"]
        assert response.json()["url"] == resource["url"]


async def test_summary_count_and_paging(api: AsyncClient) -> None:
    count = (await api.get("/CodeSystem?_summary=count")).json()
    assert count["total"] == len(served("CodeSystem"))
    assert "entry" not in count
    page = (await api.get("/ValueSet?_count=2&_sort=_id")).json()
    assert len(page["entry"]) == 2
    following = next(link["url"] for link in page["link"] if link["relation"] == "next")
    second = (await api.get(following.removeprefix("http://test/fhir"))).json()
    assert set(_ids(second)).isdisjoint(_ids(page))


async def test_elements_and_summary_subset_the_resource(api: AsyncClient) -> None:
    response = await api.get(f"/StructureDefinition?url={BP}&_elements=url,name")
    resource = response.json()["entry"][0]["resource"]
    assert {"url", "name"} <= set(resource)  # and the mandatory elements (search.html#elements)
    assert "snapshot" not in resource
    assert "differential" not in resource


async def test_history_holds_one_version(api: AsyncClient) -> None:
    history = (await api.get("/ConceptMap/cm-contact-point-use-v3/_history")).json()
    assert [e["response"]["etag"] for e in history["entry"]] == ['W/"1"']
    vread = await api.get("/ConceptMap/cm-contact-point-use-v3/_history/1")
    assert vread.status_code == 200
    assert (await api.get("/ConceptMap/cm-contact-point-use-v3/_history/2")).status_code == 404
    type_history = (await api.get("/ConceptMap/_history?_count=1")).json()
    assert type_history["total"] == len(served("ConceptMap"))


async def test_unknown_id_is_404(api: AsyncClient) -> None:
    response = await api.get("/ValueSet/no-such-value-set")
    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"


async def test_system_search_reads_them_when_type_names_them(api: AsyncClient) -> None:
    named = await api.get(f"?_type=ValueSet,CodeSystem&url={GENDER_VS}")
    assert named.status_code == 200, named.text
    assert [e["fullUrl"] for e in named.json()["entry"]] == [
        "http://test/fhir/ValueSet/administrative-gender"
    ]
    everything = (await api.get("?_summary=count")).json()
    assert everything["total"] == 0  # an empty store: the held resources are not its data


async def test_system_history_leaves_them_out(api: AsyncClient) -> None:
    await api.get("/ValueSet/administrative-gender")  # the store is open
    assert (await api.get("/_history")).json()["total"] == 0


async def test_the_store_is_built_once_per_process() -> None:
    conformance_store("ValueSet")
    before = conformance_store.cache_info()
    for _ in range(2):
        async with api_client(make_settings()) as client:
            assert (await client.get("/ValueSet/administrative-gender")).status_code == 200
    after = conformance_store.cache_info()
    assert after.misses == before.misses
    assert after.hits >= before.hits + 2


def test_ids_are_unique_per_type() -> None:
    for resource_type in ("StructureDefinition", "ValueSet", "CodeSystem", "ConceptMap"):
        ids = [resource_id for resource_id, _ in served(resource_type)]
        assert len(ids) == len(set(ids)), resource_type


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        pytest.param(None, "2019-10-31T22:29:23.356", id="none-r4-published"),
        pytest.param("2026-12-05", "2026-12-05T00:00:00", id="date"),
        pytest.param("2026-12-05T10:11:12+02:00", "2026-12-05T08:11:12", id="date-time"),
        pytest.param("junk", "2019-10-31T22:29:23.356", id="invalid"),
        pytest.param(7, "2019-10-31T22:29:23.356", id="not-a-string"),
    ],
)
def test_last_updated_is_when_the_resource_last_changed(date: object, expected: str) -> None:
    resource = {"resourceType": "ValueSet", "url": "http://example.org/vs", "date": date}
    assert changed(resource).isoformat(timespec="milliseconds") == datetime.fromisoformat(
        expected
    ).isoformat(timespec="milliseconds")


def test_a_clash_leaves_the_package_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    r4 = {"resourceType": "ValueSet", "id": "units", "url": "http://hl7.org/fhir/ValueSet/units"}
    ours = {
        "resourceType": "ValueSet",
        "id": "units",
        "url": "http://fhir-gateway.org/fhir/ValueSet/units",
    }
    again = {"resourceType": "ValueSet", "id": "units", "url": "http://example.org/ValueSet/units"}
    monkeypatch.setattr(conformance, "held", lambda: Canonicals([r4, again, ours]))
    monkeypatch.setattr(conformance, "package_resources", lambda: (ours,))
    assert [(i, r["url"]) for i, r in served("ValueSet")] == [
        ("units", ours["url"]),
        ("units-r4", r4["url"]),
        ("units-2", again["url"]),
    ]


def test_a_shared_document_is_what_a_write_would_store() -> None:
    """`shared_document` skips the record's copy; it must store exactly what a write does, and
    serve the same JSON, element order included, for every held resource."""
    for resource_type in ("StructureDefinition", "ValueSet", "CodeSystem", "ConceptMap"):
        mapper, indexer = generic_mapper(resource_type), build_indexer(resource_type)
        for resource_id, resource in served(resource_type):
            updated = changed(resource)
            written = stored_document(
                mapper.from_fhir(resource), indexer, resource_id, 1, updated, "PUT"
            )
            shared = shared_document(resource, resource_id, indexer)
            assert shared == written, resource["url"]
            served_json = dumps(mapper.document_to_fhir(shared))
            assert served_json == dumps(mapper.document_to_fhir(written)), resource["url"]
