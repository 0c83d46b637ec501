"""Building the transaction- and batch-response (http.html#transaction-response)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from gateway.errors import Issue
from gateway.services.transaction.entries import Outcome
from gateway.services.transaction.respond import response
from gateway.store.versions import Version
from mappers.outcome import operation_outcome
from tests.services.transaction.conftest import BASE, patient

UPDATED = datetime(2024, 5, 6, 7, 8, 9, 123000)
STORED = {**patient("R-1"), "id": "p1", "meta": {"versionId": "2"}}
WRITTEN = Version("Patient", "p1", 2, UPDATED, STORED)
SEARCHSET = {"resourceType": "Bundle", "type": "searchset", "total": 0}
WRITE = {
    "status": "200 OK",
    "location": "Patient/p1/_history/2",
    "etag": 'W/"2"',
    "lastModified": "2024-05-06T07:08:09.123Z",
}


def entries(*outcomes: Outcome, representation: bool = False) -> list[dict[str, Any]]:
    answer = response("batch-response", list(outcomes), representation=representation, base=BASE)
    assert answer == {
        "resourceType": "Bundle",
        "id": answer["id"],
        "type": "batch-response",
        "entry": answer["entry"],
    }
    return list(answer["entry"])


@pytest.mark.parametrize("representation", [False, True], ids=["minimal", "representation"])
def test_a_write_names_its_version_and_returns_the_resource_only_when_preferred(
    representation: bool,
) -> None:
    [entry] = entries(Outcome("200 OK", WRITTEN), representation=representation)
    expected = {"resource": STORED} if representation else {}
    assert entry == {**expected, "fullUrl": f"{BASE}/Patient/p1", "response": WRITE}


def test_a_read_or_search_returns_its_resource_whatever_the_preference() -> None:
    read, searched = entries(
        Outcome("200 OK", WRITTEN, resource=STORED), Outcome("200 OK", resource=SEARCHSET)
    )
    assert read == {"resource": STORED, "fullUrl": f"{BASE}/Patient/p1", "response": WRITE}
    assert searched == {"resource": SEARCHSET, "response": {"status": "200 OK"}}


def test_a_deletion_answers_its_etag_and_no_location() -> None:
    [entry] = entries(Outcome("204 No Content", extra={"etag": 'W/"3"'}), representation=True)
    assert entry == {"response": {"status": "204 No Content", "etag": 'W/"3"'}}


def test_a_failed_entry_answers_its_status_and_outcome() -> None:
    issues = [Issue("`Patient/p9` is not known.", code="not-found", details_code="MSG_NO_EXIST")]
    [entry] = entries(Outcome.failed(404, issues), representation=True)
    assert entry == {"response": {"status": "404 Not Found", "outcome": operation_outcome(issues)}}
