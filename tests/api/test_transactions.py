"""Transaction and batch Bundles at `POST [base]`: order, references, atomicity, per-entry answers.

https://hl7.org/fhir/R4/http.html#transaction and #trules. Only Patient, Encounter, Observation
and MedicationStatement are stored for now, so every Bundle here uses those four types.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from httpx import AsyncClient

from gateway.domain.time import utc_now
from gateway.errors import VersionConflict
from gateway.jsonio import Json
from gateway.services import conditional
from gateway.store.claims import Claim
from gateway.store.repository import ResourceStore
from tests.api.test_errors import issue, outcome
from tests.api.test_resources import PATIENT, WEIGHT
from tests.conftest import api_client, make_settings

BASE = "http://test/fhir"
MRN = "http://clinic.example/mrn"
TYPES = ("Patient", "Encounter", "Observation", "MedicationStatement")
REPRESENTATION = {"Prefer": "return=representation"}

ENCOUNTER: Json = {
    "resourceType": "Encounter",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
}
MEDICATION: Json = {
    "resourceType": "MedicationStatement",
    "status": "active",
    "medicationCodeableConcept": {"text": "aspirin 81 mg"},
    "subject": {"reference": "Patient/unknown"},
}
SYSTOLIC: Json = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
    "valueQuantity": {
        "value": 120,
        "unit": "mmHg",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    },
}


# --- building Bundles ---------------------------------------------------------------------------


def patient(mrn: str, **fields: Any) -> Json:
    return {**PATIENT, "identifier": [{"system": MRN, "value": mrn}], **fields}


def entry(
    method: str,
    url: str,
    resource: Json | None = None,
    *,
    full_url: str | None = None,
    **request: str,
) -> Json:
    result: Json = {}
    if full_url is not None:
        result["fullUrl"] = full_url
    if resource is not None:
        result["resource"] = resource
    result["request"] = {"method": method, "url": url, **request}
    return result


def bundle(*entries: Json, kind: str = "transaction") -> Json:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def ref(target: str) -> Json:
    return {"reference": target}


# --- reading answers ----------------------------------------------------------------------------


async def transact(api: AsyncClient, body: Json, *, headers: dict[str, str] | None = None) -> Json:
    response = await api.post("", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    assert answer == {
        "resourceType": "Bundle",
        "id": answer["id"],
        "type": f"{body['type']}-response",
        "entry": answer["entry"],
    }
    return answer


async def rejected(api: AsyncClient, body: Json, status: int) -> Json:
    response = await api.post("", json=body)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    result: Json = response.json()
    return result


async def read(api: AsyncClient, reference: str) -> Json:
    response = await api.get(f"/{reference}")
    assert response.status_code == 200, response.text
    resource: Json = response.json()
    return resource


async def put(api: AsyncClient, resource_id: str, resource: Json) -> Json:
    response = await api.put(
        f"/{resource['resourceType']}/{resource_id}", json={**resource, "id": resource_id}
    )
    assert response.status_code in (200, 201), response.text
    stored: Json = response.json()
    return stored


async def total(api: AsyncClient, resource_type: str, query: str = "") -> int:
    response = await api.get(f"/{resource_type}?{query}")
    assert response.status_code == 200, response.text
    count: int = response.json()["total"]
    return count


def location(answer: Json, index: int) -> str:
    """`Type/id` of the resource entry `index` wrote."""
    kind, resource_id, _, _ = answer["entry"][index]["response"]["location"].split("/")
    return f"{kind}/{resource_id}"


def answered(resource: Json, status: str, *, body: bool = False) -> Json:
    """The response entry for `resource` (as now stored) written or read by an entry."""
    kind, resource_id, meta = resource["resourceType"], resource["id"], resource["meta"]
    result: Json = {"resource": resource} if body else {}
    result["fullUrl"] = f"{BASE}/{kind}/{resource_id}"
    result["response"] = {
        "status": status,
        "location": f"{kind}/{resource_id}/_history/{meta['versionId']}",
        "etag": f'W/"{meta["versionId"]}"',
        "lastModified": meta["lastUpdated"],
    }
    return result


def deleted(version: int) -> Json:
    return {"response": {"status": "204 No Content", "etag": f'W/"{version}"'}}


def stored_as(sent: Json, stored: Json, replacements: dict[str, str]) -> Json:
    """`sent` as the server should store it: references replaced, the server's id and meta."""

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        result = {k: walk(v) for k, v in value.items()}
        if result.get("reference") in replacements:
            result["reference"] = replacements[result["reference"]]
        return result

    return {**walk(sent), "id": stored["id"], "meta": stored["meta"]}


async def state(api: AsyncClient, ids: list[str]) -> Json:
    """Everything a client can see: each search's total and matches, and for each reference its
    read and its whole history (Bundle ids and their own lastUpdated aside)."""
    seen: Json = {}
    for kind in TYPES:
        page = (await api.get(f"/{kind}", params={"_count": "1000"})).json()
        matches = sorted(page.get("entry", []), key=lambda e: e["fullUrl"])
        seen[kind] = (page["total"], matches)
    for reference in ids:
        got = await api.get(f"/{reference}")
        history = await api.get(f"/{reference}/_history")
        seen[reference] = (
            got.status_code,
            got.json(),
            history.status_code,
            history.json().get("entry", history.json()),
        )
    return seen


# --- transactions: what happens in which order ---------------------------------------------------


async def test_transaction_creates_linked_resources_and_answers_in_request_order(
    api: AsyncClient,
) -> None:
    encounter = {**ENCOUNTER, "subject": ref("urn:uuid:pat")}
    weight = {**WEIGHT, "subject": ref("urn:uuid:pat"), "encounter": ref("urn:uuid:enc")}
    answer = await transact(
        api,
        bundle(
            entry("POST", "Observation", weight),
            entry("POST", "Encounter", encounter, full_url="urn:uuid:enc"),
            entry("POST", "Patient", patient("T-1"), full_url="urn:uuid:pat"),
        ),
    )
    observation, enc, created = [await read(api, location(answer, i)) for i in range(3)]
    assert answer["entry"] == [
        answered(observation, "201 Created"),
        answered(enc, "201 Created"),
        answered(created, "201 Created"),
    ]
    replacements = {"urn:uuid:pat": location(answer, 2), "urn:uuid:enc": location(answer, 1)}
    assert observation == stored_as(weight, observation, replacements)
    assert enc == stored_as(encounter, enc, replacements)
    assert created == stored_as(patient("T-1"), created, {})
    assert [r["meta"]["versionId"] for r in (observation, enc, created)] == ["1"] * 3


async def test_entries_run_delete_post_put_get_whatever_their_order(api: AsyncClient) -> None:
    """Listed GET, GET, PUT, POST, DELETE. The DELETE of the one `T-2` patient runs first:
    after the POST of a second `T-2` it would match two (412). The GETs run last: they see the
    patient the PUT created and only the POSTed `T-2`."""
    old = await api.post("/Patient", json=patient("T-2"))
    assert old.status_code == 201
    answer = await transact(
        api,
        bundle(
            entry("GET", "Patient/p-put"),
            entry("GET", f"Patient?identifier={MRN}|T-2"),
            entry("PUT", "Patient/p-put", patient("T-3", id="p-put")),
            entry("POST", "Patient", patient("T-2", active=True)),
            entry("DELETE", f"Patient?identifier={MRN}|T-2"),
        ),
        headers=REPRESENTATION,
    )
    put_one, posted = await read(api, "Patient/p-put"), await read(api, location(answer, 3))
    search = await api.get(f"/Patient?identifier={MRN}|T-2")
    searched = answer["entry"][1]
    assert answer["entry"] == [
        answered(put_one, "200 OK", body=True),
        {"resource": searched["resource"], "response": {"status": "200 OK"}},
        answered(put_one, "201 Created", body=True),
        answered(posted, "201 Created", body=True),
        deleted(2),
    ]
    assert searched["resource"]["total"] == 1
    assert searched["resource"]["entry"] == search.json()["entry"]
    assert [e["resource"] for e in search.json()["entry"]] == [posted]
    assert (await api.get(f"/Patient/{old.json()['id']}")).status_code == 410


async def test_urn_uuid_and_oid_full_urls_are_replaced_in_every_reference(
    api: AsyncClient,
) -> None:
    await put(api, "known-1", patient("K-1"))
    panel: Json = {
        **WEIGHT,
        "subject": ref("urn:uuid:pat"),
        "encounter": ref("urn:oid:1.2.840.99.1"),
        "hasMember": [ref("urn:uuid:sys")],
        "extension": [
            {"url": "http://example.org/about", "valueReference": ref("urn:uuid:pat")},
            {
                "url": "http://example.org/nested",
                "extension": [{"url": "where", "valueReference": ref("urn:oid:1.2.840.99.1")}],
            },
        ],
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": {"value": 80, "unit": "mmHg"},
                "extension": [
                    {"url": "http://example.org/from", "valueReference": ref("urn:uuid:sys")}
                ],
            }
        ],
        "contained": [
            {
                **SYSTOLIC,
                "id": "c1",
                "subject": ref("urn:uuid:pat"),
                "derivedFrom": [ref("urn:uuid:sys")],
            }
        ],
        "focus": [ref("#c1"), ref("http://other.example/fhir/Patient/9")],
        "performer": [ref("Patient/known-1"), ref(f"{BASE}/Patient/known-1")],
    }
    systolic = {**SYSTOLIC, "subject": ref("urn:uuid:pat")}
    medication = {
        **MEDICATION,
        "subject": ref("urn:uuid:pat"),
        "context": ref("urn:oid:1.2.840.99.1"),
        "partOf": [ref("urn:uuid:sys")],
    }
    answer = await transact(
        api,
        bundle(
            entry("POST", "Observation", panel),
            entry("POST", "MedicationStatement", medication),
            entry("POST", "Observation", systolic, full_url="urn:uuid:sys"),
            entry(
                "POST",
                "Encounter",
                {**ENCOUNTER, "subject": ref("urn:uuid:pat")},
                full_url="urn:oid:1.2.840.99.1",
            ),
            entry("POST", "Patient", patient("T-4"), full_url="urn:uuid:pat"),
        ),
        headers=REPRESENTATION,
    )
    replacements = {
        "urn:uuid:sys": location(answer, 2),
        "urn:oid:1.2.840.99.1": location(answer, 3),
        "urn:uuid:pat": location(answer, 4),
    }
    stored = [await read(api, location(answer, i)) for i in range(5)]
    assert [e["resource"] for e in answer["entry"]] == stored
    assert stored[0] == stored_as(panel, stored[0], replacements)
    assert stored[0]["performer"] == [ref("Patient/known-1"), ref(f"{BASE}/Patient/known-1")]
    assert stored[0]["focus"] == [ref("#c1"), ref("http://other.example/fhir/Patient/9")]
    assert stored[0]["contained"][0]["subject"] == ref(replacements["urn:uuid:pat"])
    assert stored[1] == stored_as(medication, stored[1], replacements)
    assert stored[2] == stored_as(systolic, stored[2], replacements)
    assert stored[3]["subject"] == ref(replacements["urn:uuid:pat"])
    by_performer = await api.get("/Observation", params={"performer": "Patient/known-1"})
    assert [e["resource"]["id"] for e in by_performer.json()["entry"]] == [stored[0]["id"]]


async def test_references_to_a_put_entrys_absolute_full_url_become_relative(
    api: AsyncClient,
) -> None:
    answer = await transact(
        api,
        bundle(
            entry("POST", "Observation", {**WEIGHT, "subject": ref(f"{BASE}/Patient/p-9")}),
            entry("PUT", "Patient/p-9", patient("T-5", id="p-9"), full_url=f"{BASE}/Patient/p-9"),
        ),
    )
    observation, pat = await read(api, location(answer, 0)), await read(api, "Patient/p-9")
    assert answer["entry"] == [answered(observation, "201 Created"), answered(pat, "201 Created")]
    assert observation["subject"] == ref("Patient/p-9")


async def test_conditional_reference_resolves_to_the_one_match(api: AsyncClient) -> None:
    await put(api, "p-cond", patient("T-6"))
    await put(api, "p-other", patient("T-7"))
    weight = {**WEIGHT, "subject": ref(f"Patient?identifier={MRN}|T-6")}
    encounter = {**ENCOUNTER, "subject": ref(f"{BASE}/Patient?identifier={MRN}|T-6")}
    answer = await transact(
        api, bundle(entry("POST", "Observation", weight), entry("POST", "Encounter", encounter))
    )
    observation = await read(api, location(answer, 0))
    assert observation == stored_as(
        weight, observation, {weight["subject"]["reference"]: "Patient/p-cond"}
    )
    assert (await read(api, location(answer, 1)))["subject"] == ref("Patient/p-cond")


@pytest.mark.parametrize(
    ("mrn", "found"), [pytest.param("T-none", "no", id="none"), pytest.param("T-8", "2", id="two")]
)
async def test_conditional_reference_to_none_or_several_fails_the_transaction(
    api: AsyncClient, mrn: str, found: str
) -> None:
    await put(api, "p-8a", patient("T-8"))
    await put(api, "p-8b", patient("T-8"))
    reference = f"Patient?identifier={MRN}|{mrn}"
    body = bundle(
        entry("POST", "Patient", patient("T-9")),
        entry("POST", "Observation", {**WEIGHT, "subject": ref(reference)}),
    )
    assert await rejected(api, body, 400) == outcome(
        issue(
            "invalid",
            f"Bundle.entry[1]: Conditional reference `{reference}` matches {found} resources; "
            "it must match exactly one.",
            expression="Bundle.entry[1]",
            details="MSG_CONDITIONAL_REFERENCE",
        )
    )
    assert await total(api, "Patient") == 2
    assert await total(api, "Observation") == 0


async def test_if_none_exist_creates_once_across_two_posts_of_the_same_bundle(
    api: AsyncClient,
) -> None:
    body = bundle(
        entry(
            "POST",
            "Patient",
            patient("T-10"),
            full_url="urn:uuid:p",
            ifNoneExist=f"identifier={MRN}|T-10",
        ),
        entry("POST", "Observation", {**WEIGHT, "subject": ref("urn:uuid:p")}),
    )
    first = await transact(api, body)
    second = await transact(api, body)
    pat = await read(api, location(first, 0))
    one, two = await read(api, location(first, 1)), await read(api, location(second, 1))
    assert first["entry"] == [answered(pat, "201 Created"), answered(one, "201 Created")]
    assert second["entry"] == [answered(pat, "200 OK"), answered(two, "201 Created")]
    assert one["subject"] == two["subject"] == ref(f"Patient/{pat['id']}")
    assert one["id"] != two["id"]
    assert await total(api, "Patient", f"identifier={MRN}|T-10") == 1
    assert pat["meta"]["versionId"] == "1"


async def test_put_entries_create_and_update(api: AsyncClient) -> None:
    before = await put(api, "p-upd", patient("T-11"))
    answer = await transact(
        api,
        bundle(
            entry("PUT", "Patient/p-upd", patient("T-11", id="p-upd", active=False)),
            entry("PUT", "Patient/p-new", patient("T-12", id="p-new")),
        ),
    )
    updated, created = await read(api, "Patient/p-upd"), await read(api, "Patient/p-new")
    assert answer["entry"] == [answered(updated, "200 OK"), answered(created, "201 Created")]
    assert updated == stored_as(patient("T-11", active=False), updated, {})
    assert updated["meta"]["versionId"] == "2"
    assert created["meta"]["versionId"] == "1"
    assert await read(api, "Patient/p-upd/_history/1") == before


async def test_conditional_put_and_delete_entries(api: AsyncClient) -> None:
    await put(api, "p-a", patient("T-13"))
    await put(api, "p-b", patient("T-14"))
    answer = await transact(
        api,
        bundle(
            entry("PUT", f"Patient?identifier={MRN}|T-13", patient("T-13", active=True)),
            entry("PUT", f"Patient?identifier={MRN}|T-15", patient("T-15")),
            entry("DELETE", f"Patient?identifier={MRN}|T-14"),
        ),
    )
    updated, created = await read(api, "Patient/p-a"), await read(api, location(answer, 1))
    assert answer["entry"] == [
        answered(updated, "200 OK"),
        answered(created, "201 Created"),
        deleted(2),
    ]
    assert updated == stored_as(patient("T-13", active=True), updated, {})
    assert updated["meta"]["versionId"] == "2"
    assert created == stored_as(patient("T-15"), created, {})
    assert (await api.get("/Patient/p-b")).status_code == 410


async def test_stale_if_match_fails_the_whole_transaction(api: AsyncClient) -> None:
    await put(api, "p-im", patient("T-16"))
    current = await put(api, "p-im", patient("T-16", active=True))
    body = bundle(
        entry("POST", "Observation", {**WEIGHT, "subject": ref("Patient/p-im")}),
        entry("PUT", "Patient/p-im", patient("T-16", id="p-im"), ifMatch='W/"1"'),
    )
    assert await rejected(api, body, 412) == outcome(
        issue(
            "conflict",
            "Bundle.entry[1]: `Patient/p-im` is at version 2, not 1 (If-Match).",
            expression="Bundle.entry[1]",
            details="MSG_VERSION_AWARE_CONFLICT",
        )
    )
    assert await total(api, "Observation") == 0
    assert await read(api, "Patient/p-im") == current
    body["entry"][1]["request"]["ifMatch"] = 'W/"2"'
    answer = await transact(api, body)
    assert answer["entry"][1] == answered(await read(api, "Patient/p-im"), "200 OK")


async def test_get_entries_read_vread_and_search(api: AsyncClient) -> None:
    first = await put(api, "p-get", patient("T-17"))
    current = await put(api, "p-get", patient("T-17", active=True))
    answer = await transact(
        api,
        bundle(
            entry("GET", "Patient/p-get"),
            entry("GET", "Patient/p-get/_history/1"),
            entry("GET", f"Patient?identifier={MRN}|T-17"),
        ),
        headers=REPRESENTATION,
    )
    search = (await api.get(f"/Patient?identifier={MRN}|T-17")).json()
    searchset = answer["entry"][2]["resource"]
    assert answer["entry"] == [
        answered(current, "200 OK", body=True),
        answered(first, "200 OK", body=True),
        {"resource": searchset, "response": {"status": "200 OK"}},
    ]
    assert searchset == {**search, "id": searchset["id"], "meta": searchset["meta"]}
    assert searchset["type"] == "searchset"
    assert [e["resource"] for e in searchset["entry"]] == [current]


async def test_get_entries_return_the_resource_without_prefer(api: AsyncClient) -> None:
    first = await put(api, "p-get", patient("T-18"))
    current = await put(api, "p-get", patient("T-18", active=True))
    for kind in ("transaction", "batch"):
        answer = await transact(
            api,
            bundle(
                entry("GET", "Patient/p-get"), entry("GET", "Patient/p-get/_history/1"), kind=kind
            ),
        )
        assert answer["entry"] == [
            answered(current, "200 OK", body=True),
            answered(first, "200 OK", body=True),
        ]


@pytest.mark.parametrize(
    ("url", "status", "expected"),
    [
        pytest.param(
            "Patient/p-none",
            404,
            issue(
                "not-found",
                "Bundle.entry[1]: `Patient/p-none` is not known.",
                expression="Bundle.entry[1]",
                details="MSG_NO_EXIST",
            ),
            id="unknown",
        ),
        pytest.param(
            "Patient/p-del",
            410,
            issue(
                "deleted",
                "Bundle.entry[1]: `Patient/p-del` was deleted.",
                expression="Bundle.entry[1]",
                details="MSG_DELETED_ID",
            ),
            id="deleted",
        ),
    ],
)
async def test_a_failing_get_entry_fails_the_transaction(
    api: AsyncClient, url: str, status: int, expected: Json
) -> None:
    await put(api, "p-del", patient("T-19"))
    assert (await api.delete("/Patient/p-del")).status_code == 204
    body = bundle(entry("POST", "Patient", patient("T-20")), entry("GET", url))
    assert await rejected(api, body, status) == outcome(expected)
    assert await total(api, "Patient") == 0


# --- atomicity -----------------------------------------------------------------------------------


async def _population(api: AsyncClient) -> list[str]:
    """Resources a failing transaction will touch, some with several versions already."""
    await put(api, "p-keep", patient("A-1"))
    await put(api, "p-keep", patient("A-1", active=True))
    await put(api, "p-gone", patient("A-2"))
    await put(api, "e-1", {**ENCOUNTER, "subject": ref("Patient/p-keep")})
    await put(api, "o-1", {**WEIGHT, "subject": ref("Patient/p-keep")})
    await put(api, "m-1", {**MEDICATION, "subject": ref("Patient/p-keep")})
    return [
        "Patient/p-keep",
        "Patient/p-gone",
        "Encounter/e-1",
        "Observation/o-1",
        "MedicationStatement/m-1",
        "Patient/p-new",
    ]


def _busy_transaction(last: Json) -> Json:
    """Deletes, creates (one conditional), updates and creates by PUT, then `last`."""
    return bundle(
        entry("DELETE", "Patient/p-gone"),
        entry(
            "POST",
            "Patient",
            patient("A-3"),
            full_url="urn:uuid:new",
            ifNoneExist=f"identifier={MRN}|A-3",
        ),
        entry("POST", "Observation", {**WEIGHT, "subject": ref("urn:uuid:new")}),
        entry("PUT", "Patient/p-keep", patient("A-1", id="p-keep", gender="other")),
        entry("PUT", "Encounter/e-1", {**ENCOUNTER, "id": "e-1", "status": "cancelled"}),
        entry("DELETE", "MedicationStatement/m-1"),
        entry("PUT", "Patient/p-new", patient("A-4", id="p-new")),
        last,
    )


async def _conditional_create_still_works(api: AsyncClient) -> None:
    """The failed transaction's claim on `identifier=…|A-3` was released: no wait, no 409."""
    response = await api.post(
        "/Patient", json=patient("A-3"), headers={"If-None-Exist": f"identifier={MRN}|A-3"}
    )
    assert response.status_code == 201, response.text


def _record_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`Type/id` of every store write from now on."""
    writes: list[str] = []
    original = ResourceStore.write

    async def write(self: ResourceStore, *args: Any, **kwargs: Any) -> Any:
        writes.append(f"{self.resource_type}/{kwargs['resource_id']}")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(ResourceStore, "write", write)
    return writes


async def test_a_transaction_whose_last_entry_is_invalid_stores_nothing(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The invalid entry is a PUT listed last: it fails after every other write was made."""
    ids = await _population(api)
    before = await state(api, ids)
    writes = _record_writes(monkeypatch)
    invalid = entry("PUT", "Observation/o-1", {**WEIGHT, "id": "o-1", "status": "banana"})
    assert await rejected(api, _busy_transaction(invalid), 400) == outcome(
        issue(
            "code-invalid",
            "Bundle.entry[7]: `banana` is not in the required value set "
            "http://hl7.org/fhir/ValueSet/observation-status.",
            expression="Bundle.entry[7].resource.status",
            details="MSG_CODE_INVALID",
        )
    )
    assert [w.split("/")[0] for w in writes[:2]] == ["Patient", "Observation"]
    assert writes[2:] == ["Patient/p-keep", "Encounter/e-1", "Patient/p-new"]
    assert await state(api, ids) == before
    for reference in writes[:2]:
        assert (await api.get(f"/{reference}")).status_code == 404
    await _conditional_create_still_works(api)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        pytest.param(VersionConflict, 409, id="gateway-error"),
        pytest.param(RuntimeError, 500, id="unexpected-error"),
    ],
)
async def test_a_failure_in_the_middle_of_the_writes_undoes_every_write(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception], status: int
) -> None:
    """The 4th store write (PUT Encounter/e-1) fails after two DELETEs, two creates and an
    update have been made: afterwards every resource, search and history is as before."""
    writes: list[str] = []
    gone_at_failure: list[Any] = []
    original = ResourceStore.write

    async def failing_write(self: ResourceStore, *args: Any, **kwargs: Any) -> Any:
        writes.append(f"{self.resource_type}/{kwargs['resource_id']}")
        if len(writes) == 4:
            patients = services.store("Patient")
            gone_at_failure.append(await patients.current_document("p-gone"))
            raise error("injected failure")
        return await original(self, *args, **kwargs)

    client = api_client(make_settings(), raise_app_exceptions=False)
    async with client as api:
        services = client.app.state.services
        ids = await _population(api)
        before = await state(api, ids)
        monkeypatch.setattr(ResourceStore, "write", failing_write)
        response = await api.post("", json=_busy_transaction(entry("GET", "Patient/p-keep")))
        monkeypatch.undo()
        assert response.status_code == status, response.text
        created = writes[:2]
        assert [w.split("/")[0] for w in created] == ["Patient", "Observation"]
        assert writes[2:] == ["Patient/p-keep", "Encounter/e-1"]
        assert gone_at_failure == [None]  # the DELETE had happened
        body = response.json()
        if error is VersionConflict:
            assert body == outcome(
                issue("conflict", "Bundle.entry[4]: injected failure", expression="Bundle.entry[4]")
            )
        else:
            [fatal] = body["issue"]
            assert (fatal["severity"], fatal["code"]) == ("fatal", "exception")
            assert "injected" not in fatal["diagnostics"]
        assert await state(api, ids) == before
        for reference in created:
            assert (await api.get(f"/{reference}")).status_code == 404
            assert (await api.get(f"/{reference}/_history")).status_code == 404
        assert (await read(api, "Patient/p-gone"))["meta"]["versionId"] == "1"
        assert (await read(api, "Patient/p-keep"))["meta"]["versionId"] == "2"
        await _conditional_create_still_works(api)


# --- batches -------------------------------------------------------------------------------------


async def test_batch_entries_succeed_or_fail_each_on_their_own(api: AsyncClient) -> None:
    await put(api, "p-b1", patient("B-1"))
    await put(api, "p-dup1", patient("B-dup"))
    await put(api, "p-dup2", patient("B-dup"))
    answer = await transact(
        api,
        bundle(
            entry("POST", "Patient", patient("B-2", gender="banana")),
            entry("GET", "Patient/p-unknown"),
            entry("PUT", "Patient/p-b1", patient("B-1", id="p-b1"), ifMatch='W/"7"'),
            entry("POST", "Patient", patient("B-3"), ifNoneExist=f"identifier={MRN}|B-dup"),
            entry("POST", "Observation", {**WEIGHT, "subject": ref("Patient/p-b1")}),
            entry("PUT", "Patient/p-b1", patient("B-1", id="p-b1", active=True), ifMatch='W/"1"'),
            entry("DELETE", f"Patient?identifier={MRN}|B-dup"),
            entry(
                "POST",
                "Encounter",
                {**ENCOUNTER, "subject": ref("Patient/p-b1")},
                ifNoneExist="subject=Patient/p-b1",
            ),
            kind="batch",
        ),
    )
    observation, encounter = (
        await read(api, location(answer, 4)),
        await read(api, location(answer, 7)),
    )
    multiple = (
        f"More than one Patient matches `identifier={MRN}|B-dup`; the criteria must select one."
    )
    assert answer["entry"] == [
        {
            "response": {
                "status": "400 Bad Request",
                "outcome": outcome(
                    issue(
                        "code-invalid",
                        "`banana` is not in the required value set "
                        "http://hl7.org/fhir/ValueSet/administrative-gender.",
                        expression="Patient.gender",
                        details="MSG_CODE_INVALID",
                    )
                ),
            }
        },
        {
            "response": {
                "status": "404 Not Found",
                "outcome": outcome(
                    issue("not-found", "`Patient/p-unknown` is not known.", details="MSG_NO_EXIST")
                ),
            }
        },
        {
            "response": {
                "status": "412 Precondition Failed",
                "outcome": outcome(
                    issue(
                        "conflict",
                        "`Patient/p-b1` is at version 1, not 7 (If-Match).",
                        details="MSG_VERSION_AWARE_CONFLICT",
                    )
                ),
            }
        },
        {
            "response": {
                "status": "412 Precondition Failed",
                "outcome": outcome(issue("conflict", multiple, details="MSG_CONDITIONAL_MULTIPLE")),
            }
        },
        answered(observation, "201 Created"),
        answered(await read(api, "Patient/p-b1"), "200 OK"),
        {
            "response": {
                "status": "412 Precondition Failed",
                "outcome": outcome(issue("conflict", multiple, details="MSG_CONDITIONAL_MULTIPLE")),
            }
        },
        answered(encounter, "201 Created"),
    ]
    assert observation["subject"] == encounter["subject"] == ref("Patient/p-b1")
    assert (await read(api, "Patient/p-b1"))["active"] is True
    assert await total(api, "Patient") == 3
    assert await total(api, "Patient", f"identifier={MRN}|B-2") == 0


async def test_a_failure_of_ours_in_one_batch_entry_is_that_entrys_500_alone(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The entries before and after the failing one are stored and say so; the failing one
    stored nothing, answers 500 with an incident id, and the incident is logged."""
    original = ResourceStore.write

    async def failing_write(self: ResourceStore, *args: Any, **kwargs: Any) -> Any:
        if kwargs["resource_id"] == "p-fault":
            raise RuntimeError("injected failure")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(ResourceStore, "write", failing_write)
    answer = await transact(
        api,
        bundle(
            entry("PUT", "Patient/p-before", patient("F-1", id="p-before")),
            entry("PUT", "Patient/p-fault", patient("F-2", id="p-fault")),
            entry("PUT", "Patient/p-after", patient("F-3", id="p-after")),
            kind="batch",
        ),
    )
    before, after = await read(api, "Patient/p-before"), await read(api, "Patient/p-after")
    failed = answer["entry"][1]["response"]
    [fatal] = failed["outcome"]["issue"]
    incident = fatal["diagnostics"].split("`")[1]
    assert answer["entry"] == [
        answered(before, "201 Created"),
        {
            "response": {
                "status": "500 Internal Server Error",
                "outcome": outcome(
                    issue(
                        "exception",
                        f"Internal error (incident `{incident}`); it has been logged.",
                        severity="fatal",
                    )
                ),
            }
        },
        answered(after, "201 Created"),
    ]
    assert (await api.get("/Patient/p-fault")).status_code == 404
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert incident in logged.getMessage()
    assert "injected failure" in (logged.exc_text or "")


async def test_batch_entries_may_share_a_full_url_with_different_versions(
    api: AsyncClient,
) -> None:
    """bdl-7 allows one fullUrl twice when the entries' meta.versionId differ."""
    url = f"{BASE}/Patient/p-v"
    answer = await transact(
        api,
        bundle(
            entry("PUT", "Patient/p-v", patient("V-1", id="p-v", meta={"versionId": "1"}),
                  full_url=url),
            entry("PUT", "Patient/p-v", patient("V-1", id="p-v", active=True,
                                                meta={"versionId": "2"}), full_url=url),
            kind="batch",
        ),
    )  # fmt: skip
    current = await read(api, "Patient/p-v")
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created", "200 OK"]
    assert (current["meta"]["versionId"], current["active"]) == ("2", True)


# --- Prefer ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefer", "body"),
    [
        pytest.param(None, False, id="default"),
        pytest.param("return=minimal", False, id="minimal"),
        pytest.param("return=representation", True, id="representation"),
    ],
)
@pytest.mark.parametrize("kind", ["transaction", "batch"])
async def test_prefer_return_decides_whether_entries_carry_the_resource(
    api: AsyncClient, prefer: str | None, body: bool, kind: str
) -> None:
    await put(api, "p-pref", patient("R-1"))
    answer = await transact(
        api,
        bundle(
            entry("POST", "Observation", {**WEIGHT, "subject": ref("Patient/p-pref")}),
            entry("PUT", "Patient/p-pref", patient("R-1", id="p-pref", active=True)),
            kind=kind,
        ),
        headers={"Prefer": prefer} if prefer else None,
    )
    observation, pat = await read(api, location(answer, 0)), await read(api, "Patient/p-pref")
    assert answer["entry"] == [
        answered(observation, "201 Created", body=body),
        answered(pat, "200 OK", body=body),
    ]


# --- what is refused before anything runs ---------------------------------------------------------


def _refused(diagnostics: str, expression: str | None = None, code: str = "invalid") -> Json:
    return outcome(issue(code, diagnostics, expression=expression))


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        *(
            pytest.param(
                {"resourceType": "Bundle", "type": kind, "entry": []},
                400,
                _refused(
                    f"Bundle type `{kind}` is not processed at the base; send a transaction or a "
                    "batch (a collection or document is stored with POST /Bundle).",
                    "Bundle.type",
                ),
                id=kind,
            )
            for kind in ("collection", "document", "searchset", "transaction-response")
        ),
        pytest.param(
            PATIENT,
            400,
            _refused("POST to the base takes a Bundle.", "resourceType"),
            id="not-a-bundle",
        ),
        pytest.param(
            bundle(entry("GET", "Patient"), {"resource": PATIENT}),
            400,
            _refused("Bundle.entry[1] needs request.method and request.url.", "Bundle.entry[1]"),
            id="entry-without-request",
        ),
        pytest.param(
            bundle(entry("GET", "Patient"), {"request": {"method": "POST"}}),
            400,
            _refused("Bundle.entry[1] needs request.method and request.url.", "Bundle.entry[1]"),
            id="request-without-url",
        ),
        pytest.param(
            bundle(entry("FETCH", "Patient")),
            400,
            _refused(
                "Bundle.entry[0].request.method `FETCH` is not an HTTP verb of FHIR.",
                "Bundle.entry[0].request.method",
            ),
            id="unknown-method",
        ),
        pytest.param(
            bundle(entry("GET", "Patient"), entry("POST", "Patient")),
            400,
            _refused("Bundle.entry[1] (POST) needs a resource.", "Bundle.entry[1].resource"),
            id="post-without-resource",
        ),
        pytest.param(
            bundle(entry("GET", "Patient"), {**entry("GET", "Patient/p-1"), "resource": "x"}),
            400,
            _refused("Bundle.entry[1].resource must be a JSON object.", "Bundle.entry[1].resource"),
            id="resource-not-an-object",
        ),
        pytest.param(
            bundle({**entry("POST", "Patient", PATIENT), "fullUrl": {"urn": "x"}}),
            400,
            _refused("Bundle.entry[0].fullUrl must be a string.", "Bundle.entry[0].fullUrl"),
            id="full-url-not-a-string",
        ),
        pytest.param(
            bundle(
                {
                    **entry("POST", "Patient", PATIENT),
                    "request": {"method": "POST", "url": "Patient", "ifNoneExist": 7},
                }
            ),
            400,
            _refused(
                "Bundle.entry[0].request.ifNoneExist must be a string.",
                "Bundle.entry[0].request.ifNoneExist",
            ),
            id="if-none-exist-not-a-string",
        ),
        *(
            pytest.param(
                bundle(
                    entry("POST", "Patient", patient("U-1"), full_url="urn:uuid:same"),
                    entry("POST", "Observation", WEIGHT),
                    entry("POST", "Patient", patient("U-2"), full_url="urn:uuid:same"),
                    kind=kind,
                ),
                400,
                _refused(
                    "Bundle.entry[2].fullUrl `urn:uuid:same` is also the fullUrl of "
                    "Bundle.entry[0]; fullUrls must be unique in a Bundle unless their "
                    "meta.versionId differ (bdl-7).",
                    "Bundle.entry[2].fullUrl",
                ),
                id=f"{kind}-full-url-twice",
            )
            for kind in ("transaction", "batch")
        ),
        pytest.param(
            bundle(entry("PATCH", "Patient/p-1", {"resourceType": "Parameters"})),
            405,
            _refused(
                "Bundle.entry[0]: `PATCH` is not supported in Bundles.",
                "Bundle.entry[0]",
                code="not-supported",
            ),
            id="patch",
        ),
    ],
)
async def test_unprocessable_bundles_are_refused_with_an_outcome(
    api: AsyncClient, body: Json, status: int, expected: Json
) -> None:
    assert await rejected(api, body, status) == expected
    assert await total(api, "Patient") == 0


async def test_too_many_entries_is_413() -> None:
    async with api_client(make_settings(max_bundle_entries=3)) as api:
        body = bundle(*(entry("POST", "Patient", patient(f"L-{i}")) for i in range(4)))
        assert await rejected(api, body, 413) == _refused(
            "The Bundle has 4 entries; the limit is 3.", code="too-long"
        )
        assert await total(api, "Patient") == 0
        body["entry"].pop()
        assert len((await transact(api, body))["entry"]) == 3


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
async def test_a_body_over_max_bundle_bytes_is_413(declared: bool) -> None:
    body = bundle(*(entry("POST", "Patient", patient(f"L-{i}")) for i in range(12)))
    raw = orjson.dumps(body)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 1000):
            yield raw[start : start + 1000]

    async with api_client(make_settings(max_bundle_bytes=4000)) as api:
        response = await api.post("", content=raw if declared else chunks())
        assert response.status_code == 413, response.text
        diagnostics = (
            f"The body is {len(raw)} bytes; the limit is 4000."
            if declared
            else "The body is over the limit of 4000 bytes."
        )
        assert response.json() == _refused(diagnostics, code="too-long")
        assert await total(api, "Patient") == 0


async def test_an_empty_transaction_answers_an_empty_response(api: AsyncClient) -> None:
    answer = await transact(api, bundle())
    assert answer["entry"] == []


# --- product bugs found while writing these tests ---------------------------------------------------


async def test_references_to_a_conditional_put_that_creates_are_replaced(
    api: AsyncClient,
) -> None:
    answer = await transact(
        api,
        bundle(
            entry("PUT", f"Patient?identifier={MRN}|X-1", patient("X-1"), full_url="urn:uuid:x"),
            entry("POST", "Observation", {**WEIGHT, "subject": ref("urn:uuid:x")}),
        ),
    )
    observation = await read(api, location(answer, 1))
    assert observation["subject"] == ref(location(answer, 0))


async def test_full_urls_in_narrative_and_uri_elements_are_replaced(api: AsyncClient) -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><a href="urn:uuid:n1">patient</a></div>'
    weight = {
        **WEIGHT,
        "text": {"status": "generated", "div": div},
        "extension": [{"url": "http://example.org/source", "valueUri": "urn:uuid:n1"}],
    }
    answer = await transact(
        api,
        bundle(
            entry("POST", "Patient", patient("X-2"), full_url="urn:uuid:n1"),
            entry("POST", "Observation", weight),
        ),
    )
    observation, target = await read(api, location(answer, 1)), location(answer, 0)
    assert observation["extension"][0]["valueUri"] == target
    assert f'href="{target}"' in observation["text"]["div"]


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(
            entry("PUT", "Patient/p-twice", patient("X-3", id="p-twice", active=True)), id="put-put"
        ),
        pytest.param(entry("DELETE", "Patient/p-twice"), id="put-delete"),
    ],
)
async def test_a_resource_written_twice_fails_the_transaction(
    api: AsyncClient, second: Json
) -> None:
    original = await put(api, "p-twice", patient("X-3"))
    body = bundle(
        entry("PUT", "Patient/p-twice", patient("X-3", id="p-twice", gender="other")), second
    )
    response = await api.post("", json=body)
    assert response.status_code == 400, response.text
    assert await read(api, "Patient/p-twice") == original


async def test_a_conditional_create_of_a_resource_deleted_in_the_same_transaction(
    api: AsyncClient,
) -> None:
    original = await put(api, "p-old", patient("X-4"))
    response = await api.post(
        "",
        json=bundle(
            entry(
                "POST", "Patient", patient("X-4", active=True), ifNoneExist=f"identifier={MRN}|X-4"
            ),
            entry("DELETE", "Patient/p-old"),
        ),
    )
    assert response.status_code in (200, 400), response.text
    history = (await api.get("/Patient/p-old/_history")).json()
    versions = [e["response"]["etag"] for e in history["entry"]]
    assert len(versions) == len(set(versions)), versions
    assert await read(api, "Patient/p-old/_history/1") == original


@pytest.mark.parametrize(
    ("failing", "expression"),
    [
        pytest.param(
            entry("POST", "Observation", PATIENT),
            "Bundle.entry[1].resource.resourceType",
            id="resource-type-mismatch",
        ),
        pytest.param(
            entry("POST", "Patient", PATIENT, ifNoneExist="bogus=1"),
            "Bundle.entry[1].request.ifNoneExist",
            id="unknown-criteria",
        ),
    ],
)
async def test_failing_entries_are_named_by_bundle_paths(
    api: AsyncClient, failing: Json, expression: str
) -> None:
    body = bundle(entry("POST", "Patient", patient("X-5")), failing)
    [problem] = (await rejected(api, body, 400))["issue"]
    assert problem["expression"] == [expression]


async def test_a_transaction_meeting_a_held_claim_fails_at_once_and_stays_isolated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(conditional, "WAIT_ROUNDS", 10)  # outside a transaction it would wait
    client = api_client(make_settings(), raise_app_exceptions=False)
    async with client as api:
        services = client.app.state.services
        criteria = f"identifier={MRN}|I-1"
        key = f"Patient?{conditional._canonical(criteria)}"
        # a conditional create of the same patient is under way elsewhere
        assert await services.claims.take(Claim(key, "elsewhere", utc_now()))
        original = await put(api, "p-iso", patient("I-0"))
        waiting = asyncio.create_task(
            api.post(
                "",
                json=bundle(
                    entry("DELETE", "Patient/p-iso"),
                    entry("POST", "Patient", patient("I-1"), ifNoneExist=criteria),
                ),
            )
        )
        await asyncio.sleep(0.02)
        during = await api.get("/Patient/p-iso")
        concurrent = await api.put("/Patient/p-iso", json=patient("I-0", id="p-iso", active=True))
        answer = await waiting
        history = (await api.get("/Patient/p-iso/_history")).json()
        assert (during.status_code, during.json()) == (200, original)
        assert answer.status_code == 409, answer.text
        assert concurrent.status_code == 200, concurrent.text
        versions = [e["response"]["etag"] for e in history["entry"]]
        assert versions == ['W/"2"', 'W/"1"']


async def test_capability_statement_announces_bundles_and_conditional_interactions(
    api: AsyncClient,
) -> None:
    statement = (await api.get("/metadata")).json()
    rest = statement["rest"][0]
    assert rest["interaction"][:2] == [{"code": "transaction"}, {"code": "batch"}]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert (
        patient["conditionalCreate"],
        patient["conditionalUpdate"],
        patient["conditionalDelete"],
    ) == (True, True, "single")
