"""Conditional create, update and delete over HTTP, and conditional create under concurrency.

https://hl7.org/fhir/R4/http.html#ccreate, #cond-update, #cdelete. Criteria are search query
strings: `If-None-Exist: identifier=…` on POST, `?identifier=…` on PUT and DELETE.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response

from gateway.jsonio import Json
from gateway.services import conditional, resources
from tests.api.test_errors import issue, outcome
from tests.api.test_resources import PATIENT
from tests.api.test_transactions import MRN, patient, put, read, total

BASE = "http://test/fhir"


def criteria(mrn: str) -> str:
    return f"identifier={MRN}|{mrn}"


async def conditional_post(api: AsyncClient, body: Json, mrn: str) -> Response:
    return await api.post("/Patient", json=body, headers={"If-None-Exist": criteria(mrn)})


def write_headers(resource: Json) -> dict[str, str]:
    """Location, ETag of a write answer, for the resource as now stored."""
    version = resource["meta"]["versionId"]
    return {
        "Location": f"{BASE}/Patient/{resource['id']}/_history/{version}",
        "ETag": f'W/"{version}"',
    }


def assert_written(response: Response, status: int, stored: Json) -> None:
    assert response.status_code == status, response.text
    assert {k: response.headers[k] for k in ("Location", "ETag")} == write_headers(stored)
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert response.json() == stored


def without_diagnostics(answer: Json) -> list[Json]:
    return [{k: v for k, v in i.items() if k != "diagnostics"} for i in answer["issue"]]


MULTIPLE = {
    "severity": "error",
    "code": "conflict",
    "details": issue("conflict", "", details="MSG_CONDITIONAL_MULTIPLE")["details"],
}


async def two_matching(api: AsyncClient, mrn: str) -> tuple[Json, Json]:
    return await put(api, "p-dup1", patient(mrn)), await put(api, "p-dup2", patient(mrn))


# --- conditional create ---------------------------------------------------------------------------


async def test_if_none_exist_without_a_match_creates(api: AsyncClient) -> None:
    await put(api, "p-other", patient("C-0"))
    response = await conditional_post(api, patient("C-1"), "C-1")
    created = await read(api, f"Patient/{response.json()['id']}")
    assert_written(response, 201, created)
    assert {k: v for k, v in created.items() if k not in ("id", "meta")} == patient("C-1")
    assert created["meta"]["versionId"] == "1"


async def test_if_none_exist_with_one_match_returns_it_unchanged(api: AsyncClient) -> None:
    existing = await put(api, "p-one", patient("C-2"))
    response = await conditional_post(api, patient("C-2", gender="other"), "C-2")
    assert_written(response, 200, existing)
    assert await read(api, "Patient/p-one") == existing
    assert await total(api, "Patient") == 1


async def test_if_none_exist_with_several_matches_is_412(api: AsyncClient) -> None:
    await two_matching(api, "C-3")
    response = await conditional_post(api, patient("C-3"), "C-3")
    assert response.status_code == 412, response.text
    assert response.json() == outcome(
        issue(
            "conflict",
            f"More than one Patient matches `{criteria('C-3')}`; the criteria must select one.",
            details="MSG_CONDITIONAL_MULTIPLE",
        )
    )
    assert await total(api, "Patient") == 2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(
            "bogus=1",
            issue("invalid", "Unknown search parameter `bogus` for Patient.", expression="bogus"),
            id="unknown-parameter",
        ),
        pytest.param(
            "",
            issue(
                "invalid",
                "A conditional interaction on Patient needs search criteria.",
                expression="criteria",
            ),
            id="empty",
        ),
        pytest.param(
            "identifier=",
            issue(
                "invalid",
                "A conditional interaction on Patient needs search criteria.",
                expression="criteria",
            ),
            id="blank",
        ),
    ],
)
async def test_invalid_if_none_exist_criteria_are_400(
    api: AsyncClient, header: str, expected: Json
) -> None:
    response = await api.post("/Patient", json=PATIENT, headers={"If-None-Exist": header})
    assert response.status_code == 400, response.text
    assert response.json() == outcome(expected)
    assert await total(api, "Patient") == 0


async def test_if_none_exist_still_validates_the_body_when_a_match_exists(
    api: AsyncClient,
) -> None:
    existing = await put(api, "p-val", patient("C-4"))
    response = await conditional_post(api, patient("C-4", gender="banana"), "C-4")
    assert response.status_code == 400, response.text
    assert response.json() == outcome(
        issue(
            "code-invalid",
            "`banana` is not in the required value set "
            "http://hl7.org/fhir/ValueSet/administrative-gender.",
            expression="Patient.gender",
            details="MSG_CODE_INVALID",
        )
    )
    assert await read(api, "Patient/p-val") == existing


@pytest.mark.parametrize("change", ["delete", "update"])
async def test_conditional_create_works_again_once_the_match_is_gone(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    monkeypatch.setattr(conditional, "WAIT_ROUNDS", 3)  # fail fast rather than after 2 s
    first = await conditional_post(api, patient("C-5"), "C-5")
    assert first.status_code == 201, first.text
    resource_id = first.json()["id"]
    if change == "delete":
        assert (await api.delete(f"/Patient/{resource_id}")).status_code == 204
    else:
        await put(api, resource_id, patient("C-5b"))
    again = await conditional_post(api, patient("C-5"), "C-5")
    assert again.status_code == 201, again.text
    assert again.json()["id"] != resource_id


# --- conditional update ---------------------------------------------------------------------------


async def test_conditional_update_without_a_match_creates(api: AsyncClient) -> None:
    await put(api, "p-other", patient("U-0"))
    response = await api.put(f"/Patient?{criteria('U-1')}", json=patient("U-1"))
    created = await read(api, f"Patient/{response.json()['id']}")
    assert_written(response, 201, created)
    assert created["meta"]["versionId"] == "1"
    assert await total(api, "Patient") == 2


async def test_conditional_update_without_a_match_but_with_an_id_creates_that_id(
    api: AsyncClient,
) -> None:
    response = await api.put(f"/Patient?{criteria('U-2')}", json=patient("U-2", id="p-chosen"))
    assert_written(response, 201, await read(api, "Patient/p-chosen"))


@pytest.mark.parametrize("body_id", [None, "p-upd"])
async def test_conditional_update_with_one_match_updates_it(
    api: AsyncClient, body_id: str | None
) -> None:
    before = await put(api, "p-upd", patient("U-3"))
    body = (
        patient("U-3", active=True) if body_id is None else patient("U-3", id=body_id, active=True)
    )
    response = await api.put(f"/Patient?{criteria('U-3')}", json=body)
    updated = await read(api, "Patient/p-upd")
    assert_written(response, 200, updated)
    assert updated["meta"]["versionId"] == "2"
    assert updated["active"] is True
    assert await read(api, "Patient/p-upd/_history/1") == before
    assert await total(api, "Patient") == 1


async def test_conditional_update_naming_another_id_than_the_match_is_400(
    api: AsyncClient,
) -> None:
    existing = await put(api, "p-match", patient("U-4"))
    response = await api.put(f"/Patient?{criteria('U-4')}", json=patient("U-4", id="p-else"))
    assert response.status_code == 400, response.text
    assert response.json() == outcome(
        issue(
            "invalid",
            "The body's id `p-else` is not the matching resource's `p-match`.",
            expression="Patient.id",
            details="MSG_RESOURCE_ID_MISMATCH",
        )
    )
    assert await read(api, "Patient/p-match") == existing
    assert (await api.get("/Patient/p-else")).status_code == 404


async def test_conditional_update_with_several_matches_is_412(api: AsyncClient) -> None:
    one, two = await two_matching(api, "U-5")
    response = await api.put(f"/Patient?{criteria('U-5')}", json=patient("U-5", active=True))
    assert response.status_code == 412, response.text
    assert without_diagnostics(response.json()) == [MULTIPLE]
    assert [await read(api, "Patient/p-dup1"), await read(api, "Patient/p-dup2")] == [one, two]


async def test_conditional_update_without_criteria_is_400(api: AsyncClient) -> None:
    response = await api.put("/Patient", json=PATIENT)
    assert response.status_code == 400, response.text
    assert response.json() == outcome(
        issue(
            "invalid",
            "A conditional interaction on Patient needs search criteria.",
            expression="criteria",
        )
    )


# --- conditional delete ---------------------------------------------------------------------------


async def test_conditional_delete_with_one_match_deletes_it(api: AsyncClient) -> None:
    await put(api, "p-del", patient("D-1"))
    kept = await put(api, "p-kept", patient("D-2"))
    response = await api.delete(f"/Patient?{criteria('D-1')}")
    assert response.status_code == 204, response.text
    assert response.headers["ETag"] == 'W/"2"'
    assert response.content == b""
    gone = await api.get("/Patient/p-del")
    assert gone.status_code == 410
    assert gone.json() == outcome(
        issue("deleted", "`Patient/p-del` was deleted.", details="MSG_DELETED_ID")
    )
    assert await read(api, "Patient/p-kept") == kept


async def test_conditional_delete_without_a_match_is_404(api: AsyncClient) -> None:
    kept = await put(api, "p-kept", patient("D-3"))
    response = await api.delete(f"/Patient?{criteria('D-4')}")
    assert response.status_code == 404, response.text
    assert without_diagnostics(response.json()) == [
        {
            "severity": "error",
            "code": "not-found",
            "details": issue("not-found", "", details="MSG_NO_MATCH")["details"],
        },
    ]
    assert await read(api, "Patient/p-kept") == kept


async def test_conditional_delete_with_several_matches_is_412(api: AsyncClient) -> None:
    one, two = await two_matching(api, "D-5")
    response = await api.delete(f"/Patient?{criteria('D-5')}")
    assert response.status_code == 412, response.text
    assert without_diagnostics(response.json()) == [MULTIPLE]
    assert [await read(api, "Patient/p-dup1"), await read(api, "Patient/p-dup2")] == [one, two]


async def test_conditional_diagnostics_quote_the_criteria_as_sent(api: AsyncClient) -> None:
    await two_matching(api, "D-6")
    expected = f"More than one Patient matches `{criteria('D-6')}`; the criteria must select one."
    for response in (
        await api.delete(f"/Patient?{criteria('D-6')}"),
        await api.put(f"/Patient?{criteria('D-6')}", json=patient("D-6")),
    ):
        assert response.json()["issue"][0]["diagnostics"] == expected


# --- conditional create under concurrency ------------------------------------------------------------

CONCURRENT = 16


async def create_concurrently(api: AsyncClient, mrn: str) -> list[Response]:
    return list(
        await asyncio.gather(*(conditional_post(api, patient(mrn), mrn) for _ in range(CONCURRENT)))
    )


def assert_one_patient_named_by_all(responses: list[Response], ids: list[str]) -> None:
    assert len(ids) == 1, ids
    assert sorted(r.status_code for r in responses) == [200] * (CONCURRENT - 1) + [201]
    assert {r.json()["id"] for r in responses} == set(ids)
    assert {r.headers["Location"] for r in responses} == {f"{BASE}/Patient/{ids[0]}/_history/1"}


async def matching(api: AsyncClient, mrn: str) -> list[str]:
    page = (await api.get(f"/Patient?{criteria(mrn)}&_count=100")).json()
    return [e["resource"]["id"] for e in page.get("entry", [])]


async def test_concurrent_conditional_creates_make_one_patient(api: AsyncClient) -> None:
    responses = await create_concurrently(api, "R-1")
    assert_one_patient_named_by_all(responses, await matching(api, "R-1"))


Events = list[tuple[str, int]]


def interleave(
    monkeypatch: pytest.MonkeyPatch, *, claim: bool = True, pause: bool = True
) -> Events:
    """Yield to the event loop around the search, the claim and the create of a conditional
    create, as a networked MongoDB would, and record (step, request) as each step completes.

    The embedded store never yields, so without this each request would search and create in
    one go and even a create with no claim could not race. `claim=False` takes every claim.
    """
    events: Events = []
    requests: dict[asyncio.Task[Any] | None, int] = {}

    def pausing(step: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = requests.setdefault(asyncio.current_task(), len(requests))
            if pause:
                await asyncio.sleep(0)
            result = await call(*args, **kwargs)
            if pause:
                await asyncio.sleep(0)
            events.append((step, request))
            return result

        return wrapper

    async def take(*args: Any, **kwargs: Any) -> bool:
        return True

    monkeypatch.setattr(conditional, "matching_ids", pausing("search", conditional.matching_ids))
    monkeypatch.setattr(
        conditional, "_claim", pausing("claim", conditional._claim if claim else take)
    )
    monkeypatch.setattr(resources, "create", pausing("create", resources.create))
    return events


def searched_before_any_create(events: Events) -> set[int]:
    first_create = next(i for i, (step, _) in enumerate(events) if step == "create")
    return {request for step, request in events[:first_create] if step == "search"}


async def test_interleaved_conditional_creates_still_make_one_patient(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = interleave(monkeypatch)
    responses = await create_concurrently(api, "R-2")
    assert searched_before_any_create(events) == set(range(CONCURRENT))  # all raced
    assert [step for step, _ in events].count("create") == 1
    assert_one_patient_named_by_all(responses, await matching(api, "R-2"))


async def test_without_the_claim_interleaved_conditional_creates_duplicate(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proves the test above can fail: take away the claim and duplicates appear; and that it
    needs the interleaving: without it, the same requests make one patient even so."""
    calm = interleave(monkeypatch, claim=False, pause=False)
    await create_concurrently(api, "R-3")
    assert searched_before_any_create(calm) == {0}
    assert len(await matching(api, "R-3")) == 1

    monkeypatch.undo()
    events = interleave(monkeypatch, claim=False)
    responses = await create_concurrently(api, "R-4")
    assert searched_before_any_create(events) == set(range(CONCURRENT))
    created = await matching(api, "R-4")
    assert len(created) == CONCURRENT
    assert [r.status_code for r in responses] == [201] * CONCURRENT
    assert {r.json()["id"] for r in responses} == set(created)
