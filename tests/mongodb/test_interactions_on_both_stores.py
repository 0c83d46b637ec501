"""Transactions, conditional-create claims and `$export` jobs on the embedded store and, marked
`mongodb`, on a real server (tests/mongodb/conftest.py): multi-document transactions, unique
claims under real concurrency and a job's files are where MongoDB and mongomock differ most.
"""

from __future__ import annotations

import asyncio

from httpx import AsyncClient, Response

from gateway.jsonio import Json
from tests.api.test_bulk_export import ORGANIZATION, create, exported, kick_off, manifest_of
from tests.api.test_bulk_export import observation as lab_result
from tests.api.test_bulk_export import patient as exported_patient
from tests.api.test_conditional import assert_one_patient_named_by_all, create_concurrently
from tests.api.test_conditional import matching as matching_patients
from tests.api.test_errors import issue, outcome
from tests.api.test_resources import WEIGHT
from tests.api.test_transactions import (
    MRN,
    _busy_transaction,
    _conditional_create_still_works,
    _population,
    bundle,
    entry,
    patient,
    ref,
    rejected,
    state,
    total,
    transact,
)


def linked(mrn: str) -> Json:
    """A patient created unless one has the MRN, and an Observation of it, as Synthea sends."""
    urn = f"urn:uuid:00000000-0000-4000-8000-{mrn.encode().hex()[-12:].rjust(12, '0')}"
    return bundle(
        entry("POST", "Patient", patient(mrn), full_url=urn, ifNoneExist=f"identifier={MRN}|{mrn}"),
        entry("POST", "Observation", {**WEIGHT, "subject": ref(urn)}),
    )


async def test_a_transaction_stores_every_entry_or_none(store_api: AsyncClient) -> None:
    answer = await transact(store_api, linked("T-1"))
    patient_id = answer["entry"][0]["response"]["location"].split("/")[1]
    assert await total(store_api, "Observation", f"subject=Patient/{patient_id}") == 1

    ids = await _population(store_api)
    before = await state(store_api, ids)
    invalid = entry("PUT", "Observation/o-1", {**WEIGHT, "id": "o-1", "status": "banana"})
    assert await rejected(store_api, _busy_transaction(invalid), 400) == outcome(
        issue(
            "code-invalid",
            "Bundle.entry[7]: `banana` is not in the required value set "
            "http://hl7.org/fhir/ValueSet/observation-status.",
            expression="Bundle.entry[7].resource.status",
            details="MSG_CODE_INVALID",
        )
    )
    assert await state(store_api, ids) == before  # every write before the invalid entry undone
    await _conditional_create_still_works(store_api)  # and its claim released


async def test_a_failing_read_after_writes_rolls_the_transaction_back(
    store_api: AsyncClient,
) -> None:
    failing = linked("T-2")
    failing["entry"].append(entry("GET", "Patient/nobody"))
    await rejected(store_api, failing, 404)
    assert (await total(store_api, "Patient"), await total(store_api, "Observation")) == (0, 0)
    history = await store_api.get("/_history")
    assert history.status_code == 200, history.text
    assert history.json().get("total", len(history.json().get("entry", []))) == 0


async def test_concurrent_conditional_creates_make_one_resource(store_api: AsyncClient) -> None:
    responses = await create_concurrently(store_api, "R-1")
    assert_one_patient_named_by_all(responses, await matching_patients(store_api, "R-1"))


async def test_concurrent_transactions_creating_one_patient_make_one(
    store_api: AsyncClient,
) -> None:
    """Each transaction claims the same key. On MongoDB a claim another open transaction holds
    is a write conflict: that transaction is refused whole (409, retry) and leaves nothing,
    never a 500 and never a second patient. The embedded store runs them one after another."""
    answers: list[Response] = list(
        await asyncio.gather(*(store_api.post("", json=linked("R-2")) for _ in range(4)))
    )
    assert {a.status_code for a in answers} <= {200, 409}, [a.text for a in answers]
    done = [a.json() for a in answers if a.status_code == 200]
    [patient_id] = await matching_patients(store_api, "R-2")
    assert done
    assert {d["entry"][0]["response"]["location"].split("/")[1] for d in done} == {patient_id}
    assert await total(store_api, "Observation", f"subject=Patient/{patient_id}") == len(done)
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["issue"][0]["code"] == "conflict", refused.text


async def test_an_export_job_is_kicked_off_polled_and_downloaded(store_api: AsyncClient) -> None:
    ana = await create(store_api, exported_patient("MRN-1"))
    bo = await create(store_api, exported_patient("MRN-2"))
    written = [
        ana,
        bo,
        await create(store_api, lab_result(f"Patient/{ana['id']}")),
        await create(store_api, lab_result(f"Patient/{bo['id']}")),
        await create(store_api, ORGANIZATION),
    ]
    manifest = await manifest_of(store_api, await kick_off(store_api))

    files = await exported(store_api, manifest)
    by_type: dict[str, list[Json]] = {}
    for resource in sorted(written, key=lambda r: str(r["id"])):
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert files == by_type  # each file in id order, each line the stored resource
    assert {i["type"]: i["count"] for i in manifest["output"]} == {
        t: len(r) for t, r in by_type.items()
    }
