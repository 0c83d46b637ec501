"""history-system and history-type: `GET [base]/_history`, `GET [base]/{type}/_history`
(http.html#history): every version, newest first, `_since`, `_at`, `_count` and next links."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.api.clock import Clock, at, clock
from tests.api.test_errors import issue, outcome

__all__ = ["clock"]  # the fixture, used by name

BASE = "http://test/fhir"
PATIENT: Json = {"resourceType": "Patient", "id": "p1", "gender": "female"}
CONDITION: Json = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}}
OBSERVATION: Json = {"resourceType": "Observation", "id": "o1", "status": "final",
                     "code": {"text": "x"}}  # fmt: skip
# Newest first: (method, Type/id, version), as the writes in `story` make them.
EVERYTHING = [
    ("POST", "Patient/p2", 1),  # minute 6
    ("DELETE", "Condition/c1", 3),  # minute 5
    ("POST", "Observation/o1", 1),  # minute 4
    ("PUT", "Condition/c1", 2),  # minute 3
    ("PUT", "Patient/p1", 2),  # minute 2
    ("PUT", "Condition/c1", 1),  # minute 1
    ("PUT", "Patient/p1", 1),  # minute 0
]


@pytest.fixture
async def story(api: AsyncClient, clock: Clock) -> AsyncClient:
    """Creates, updates and deletes of three types, one minute apart."""
    writes = [
        ("PUT", "/Patient/p1", PATIENT),
        ("PUT", "/Condition/c1", CONDITION),
        ("PUT", "/Patient/p1", {**PATIENT, "gender": "male"}),
        ("PUT", "/Condition/c1", {**CONDITION, "code": {"text": "asthma"}}),
        ("POST", "/Observation", OBSERVATION),
        ("DELETE", "/Condition/c1", None),
        ("POST", "/Patient", {"resourceType": "Patient", "id": "ignored"}),
    ]
    for minute, (method, path, body) in enumerate(writes):
        clock.minute(minute)
        response = await api.request(method, path, json=body)
        assert response.status_code in (200, 201, 204), response.text
    return api


def entries(bundle: Json, ids: dict[str, str] | None = None) -> list[tuple[str, str, int]]:
    """(method, Type/id, version) of each entry; server-assigned ids read as `o1`/`p2`."""
    found = []
    for entry in bundle.get("entry", []):
        reference = entry["fullUrl"].removeprefix(BASE + "/")
        kind, resource_id = reference.split("/")
        name = (ids or {}).get(resource_id, resource_id)
        found.append(
            (entry["request"]["method"], f"{kind}/{name}", int(entry["response"]["etag"][3:-1]))
        )
    return found


async def assigned(api: AsyncClient) -> dict[str, str]:
    """The server ids of the Observation and second Patient created by POST."""
    observation = (await api.get("/Observation")).json()["entry"][0]["resource"]["id"]
    patients = (await api.get("/Patient?_id:not=p1")).json()["entry"]
    return {observation: "o1", patients[0]["resource"]["id"]: "p2"}


async def history(api: AsyncClient, path: str) -> Json:
    response = await api.get(path)
    assert response.status_code == 200, response.text
    bundle: Json = response.json()
    assert bundle["type"] == "history"
    return bundle


def next_link(bundle: Json) -> str | None:
    """The `next` URL as served (absolute)."""
    return next((x["url"] for x in bundle.get("link", []) if x["relation"] == "next"), None)


async def test_every_version_of_every_type_newest_first(story: AsyncClient) -> None:
    ids = await assigned(story)
    bundle = await history(story, "/_history")
    assert entries(bundle, ids) == EVERYTHING
    assert bundle["total"] == len(EVERYTHING)
    deletion, created = bundle["entry"][1], bundle["entry"][0]
    assert "resource" not in deletion
    assert deletion["request"] == {"method": "DELETE", "url": "Condition/c1"}
    assert deletion["response"] == {
        "status": "204 No Content", "etag": 'W/"3"', "lastModified": at(5),
    }  # fmt: skip
    assert created["request"] == {"method": "POST", "url": "Patient"}
    assert created["response"]["status"] == "201 Created"
    assert created["resource"]["meta"] == {"versionId": "1", "lastUpdated": at(6)}
    updated = bundle["entry"][4]
    assert updated["resource"]["gender"] == "male"
    assert updated["request"] == {"method": "PUT", "url": "Patient/p1"}
    assert updated["response"]["status"] == "200 OK"
    assert bundle["entry"][6]["resource"]["gender"] == "female"


async def test_type_history_holds_that_type_only(story: AsyncClient) -> None:
    ids = await assigned(story)
    patients = await history(story, "/Patient/_history")
    assert entries(patients, ids) == [e for e in EVERYTHING if e[1].startswith("Patient/")]
    conditions = await history(story, "/Condition/_history")
    assert entries(conditions) == [e for e in EVERYTHING if e[1].startswith("Condition/")]
    assert conditions["total"] == 3
    empty = await history(story, "/Practitioner/_history")
    assert (empty["total"], empty["entry"]) == (0, [])


async def test_since_keeps_versions_written_at_or_after_it(story: AsyncClient) -> None:
    ids = await assigned(story)
    bundle = await history(story, f"/_history?_since={at(3)}")
    assert entries(bundle, ids) == EVERYTHING[:4]
    assert bundle["total"] == 4
    between = await history(story, f"/Condition/_history?_since={at(2, seconds=1)}")
    assert entries(between) == [("DELETE", "Condition/c1", 3), ("PUT", "Condition/c1", 2)]
    assert entries(await history(story, "/_history?_since=2027-01-01")) == []


@pytest.mark.parametrize(
    ("at_value", "expected"),
    [
        # Before anything was written: nothing was current.
        ("2025-12-31T23:59:59Z", []),
        # At minute 2 exactly: Patient v2 was just written, Condition v1 still current.
        (at(2), [("PUT", "Patient/p1", 2), ("PUT", "Condition/c1", 1)]),
        # Half a minute later, the same.
        (at(2, seconds=30), [("PUT", "Patient/p1", 2), ("PUT", "Condition/c1", 1)]),
        # After the Observation, before the deletion.
        (at(4, seconds=30),
         [("POST", "Observation/o1", 1), ("PUT", "Condition/c1", 2), ("PUT", "Patient/p1", 2)]),
        # After the deletion: the Condition did not exist then.
        (at(5, seconds=30), [("POST", "Observation/o1", 1), ("PUT", "Patient/p1", 2)]),
        # A day is a range: every version current at some moment of it.
        ("2026-01-01", EVERYTHING[:1] + EVERYTHING[2:]),
    ],
)  # fmt: skip
async def test_at_keeps_the_versions_current_then(
    story: AsyncClient, at_value: str, expected: list[tuple[str, str, int]]
) -> None:
    ids = await assigned(story)
    bundle = await history(story, f"/_history?_at={at_value.replace('+', '%2B')}")
    assert entries(bundle, ids) == expected
    assert "total" not in bundle
    paged: list[tuple[str, str, int]] = []
    page: str | None = f"/_history?_at={at_value}&_count=1"
    while page:
        one = await history(story, page)
        paged += entries(one, ids)
        page = next_link(one)
    assert paged == expected


async def test_since_and_at_together(story: AsyncClient) -> None:
    ids = await assigned(story)
    bundle = await history(story, f"/_history?_since={at(3)}&_at={at(4, seconds=30)}")
    assert entries(bundle, ids) == [("POST", "Observation/o1", 1), ("PUT", "Condition/c1", 2)]


@pytest.mark.parametrize("count", [1, 2, 3, 7])
async def test_count_pages_through_every_version_once(story: AsyncClient, count: int) -> None:
    ids = await assigned(story)
    pages: list[list[tuple[str, str, int]]] = []
    page: str | None = f"/_history?_count={count}"
    while page:
        bundle = await history(story, page)
        assert bundle["total"] == len(EVERYTHING)
        pages.append(entries(bundle, ids))
        page = next_link(bundle)
    assert [entry for one in pages for entry in one] == EVERYTHING
    assert all(len(one) == count for one in pages[:-1])


async def test_versions_written_while_paging_do_not_shift_later_pages(
    story: AsyncClient, clock: Clock
) -> None:
    ids = await assigned(story)
    first = await history(story, "/_history?_count=3")
    clock.minute(7)
    await story.put("/Patient/p1", json={**PATIENT, "gender": "other"})
    rest: list[tuple[str, str, int]] = []
    page = next_link(first)
    while page:
        bundle = await history(story, page)
        rest += entries(bundle, ids)
        page = next_link(bundle)
    assert entries(first, ids) + rest == EVERYTHING


async def test_ties_of_last_updated_page_by_type_id_and_version(
    api: AsyncClient, clock: Clock
) -> None:
    clock.minute(0)
    for resource in ({**PATIENT, "id": "a"}, {**PATIENT, "id": "b"}, {**CONDITION, "id": "a"}):
        await api.put(f"/{resource['resourceType']}/{resource['id']}", json=resource)
    await api.put("/Patient/a", json={**PATIENT, "id": "a", "gender": "male"})
    expected = [
        ("PUT", "Patient/b", 1), ("PUT", "Patient/a", 2), ("PUT", "Patient/a", 1),
        ("PUT", "Condition/a", 1),
    ]  # fmt: skip
    assert entries(await history(api, "/_history")) == expected
    paged: list[tuple[str, str, int]] = []
    page: str | None = "/_history?_count=1"
    while page:
        bundle = await history(api, page)
        paged += entries(bundle)
        page = next_link(bundle)
    assert paged == expected


async def test_links_repeat_the_feed(story: AsyncClient) -> None:
    bundle = await history(story, f"/Patient/_history?_since={at(1)}&_count=1")
    links = {x["relation"]: x["url"] for x in bundle["link"]}
    assert links["self"] == f"{BASE}/Patient/_history?_since={at(1)}&_count=1"
    assert links["first"] == links["self"]
    assert links["next"].startswith(f"{BASE}/Patient/_history?_since={at(1)}&_count=1&_cursor=")


@pytest.mark.parametrize(
    ("query", "expression", "diagnostics"),
    [
        ("_since=yesterday", "_since",
         "_since `yesterday` is not a FHIR instant (e.g. 2026-01-31T12:00:00Z) or date."),
        ("_at=2026-13", "_at",
         "_at `2026-13` is not a FHIR instant (e.g. 2026-01-31T12:00:00Z) or date."),
        ("_count=0", "_count", "_count `0` is not a positive integer."),
        ("_count=x", "_count", "_count `x` is not a positive integer."),
        ("_list=l1", "_list",
         "`_list` is not a parameter of history (http.html#history: _count, _since, _at)."),
        ("_cursor=nonsense", "_cursor",
         "The `_cursor` is not one this server issued for this search."),
    ],
)  # fmt: skip
async def test_bad_input_is_a_400_naming_it(
    api: AsyncClient, query: str, expression: str, diagnostics: str
) -> None:
    for path in ("/_history", "/Patient/_history"):
        response = await api.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert response.json() == outcome(issue("invalid", diagnostics, expression=expression))


async def test_a_cursor_of_wrong_values_is_a_400(story: AsyncClient) -> None:
    search = await story.get("/?_count=1")
    cursor = next(x["url"] for x in search.json()["link"] if x["relation"] == "next")
    response = await story.get(f"/_history?{urlsplit(cursor).query}")
    assert response.status_code == 400


async def test_an_unknown_type_is_a_404(api: AsyncClient) -> None:
    response = await api.get("/Nope/_history")
    assert response.status_code == 404
