"""Conditional interactions, conditional references, transactions and batches under a token's
grant, at the service level: the criteria are the server's own lookup, what they match is
checked as the interaction's resource; a forbidden entry fails a transaction whole, nothing
stored, and only its own entry of a batch."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import Forbidden, InvalidResource, NotFound, PreconditionFailed
from gateway.services import conditional, transaction
from gateway.services.context import Services
from gateway.services.transaction.entries import EntryFailed
from tests.auth.instance_grants import (
    BASE,
    LAB,
    MRN,
    PATIENT,
    PATIENTS_ONLY,
    SYSTEM,
    USER,
    count,
    exists,
    granted,
    observation,
    patient,
    services,
)

__all__ = ["services"]  # the fixture

P1 = f"identifier={MRN}|MRN-1"
P2 = f"identifier={MRN}|MRN-2"
LAB_OF = "code=http://loinc.org|718-7&subject=Patient/{}"


# --- conditional create, update, delete -------------------------------------------------------


async def test_a_conditional_create_returns_a_match_only_inside_the_grant(
    services: Services,
) -> None:
    store = services.store("Patient")
    with granted(PATIENT):
        found = await conditional.conditional_create(services, store, patient("x", "MRN-1"), P1)
        assert (found.created, found.version.id) == (False, "p1")
        with pytest.raises(Forbidden):
            await conditional.conditional_create(services, store, patient("x", "MRN-2"), P2)
    with granted({"scope": "user/Patient.c"}):
        assert (
            await conditional.conditional_create(services, store, patient("x", "MRN-2"), P2)
        ).version.id == "p2"


async def test_a_conditional_create_without_a_match_checks_the_new_body(
    services: Services,
) -> None:
    store = services.store("Observation")
    before = await count(services, "Observation")
    criteria = "code=http://loinc.org|1234-5"
    with granted(PATIENT), pytest.raises(Forbidden):
        await conditional.conditional_create(services, store, observation("p2"), criteria)
    assert await count(services, "Observation") == before
    with granted(PATIENT):
        written = await conditional.conditional_create(services, store, observation("p1"), criteria)
    assert written.created


async def test_a_conditional_write_without_the_scope_is_403_before_the_lookup(
    services: Services,
) -> None:
    """Two Observations match: without a scope on the type the answer is 403, not a 412 that
    would tell what the store holds."""
    store, criteria = services.store("Observation"), "code=http://loinc.org|718-7"
    with granted(PATIENTS_ONLY):
        with pytest.raises(Forbidden):
            await conditional.conditional_create(services, store, observation("p1"), criteria)
        with pytest.raises(Forbidden):
            await conditional.conditional_update(services, store, observation("p1"), criteria)
        with pytest.raises(Forbidden):
            await conditional.conditional_delete(services, store, criteria)
    with granted(PATIENT), pytest.raises(PreconditionFailed):
        await conditional.conditional_delete(services, store, criteria)


@pytest.mark.parametrize(
    ("claims", "match_of", "subject", "allowed"),
    [
        pytest.param(PATIENT, "p1", "p1", True, id="own"),
        pytest.param(PATIENT, "p2", "p1", False, id="take-over-other-patients"),
        pytest.param(PATIENT, "p1", "p2", False, id="move-out"),
        pytest.param(USER, "p2", "p2", True, id="user"),
        pytest.param(LAB, "p1", "p1", True, id="query-met"),
    ],
)
async def test_a_conditional_update_checks_the_match_and_the_new_body(
    services: Services, claims: dict[str, Any], match_of: str, subject: str, allowed: bool
) -> None:
    store = services.store("Observation")
    criteria = LAB_OF.format(match_of) + "&category=laboratory"
    body = {**observation(subject), "valueString": "new"}
    before = await store.current(f"lab{match_of[1]}")
    with granted(claims):
        if allowed:
            written = await conditional.conditional_update(services, store, body, criteria)
            assert (written.created, written.version.version_id) == (False, 2)
            return
        with pytest.raises(Forbidden):
            await conditional.conditional_update(services, store, body, criteria)
    assert await store.current(f"lab{match_of[1]}") == before


async def test_a_conditional_delete_checks_the_match(services: Services) -> None:
    store = services.store("Observation")
    with granted(PATIENT), pytest.raises(Forbidden):
        await conditional.conditional_delete(services, store, LAB_OF.format("p2"))
    assert await exists(services, "Observation", "lab2")
    with granted(LAB), pytest.raises(Forbidden):
        await conditional.conditional_delete(services, store, "category=vital-signs")
    assert await exists(services, "Observation", "vital1")
    with granted(PATIENT):
        await conditional.conditional_delete(services, store, "category=vital-signs")
    assert not await exists(services, "Observation", "vital1")


# --- conditional references ------------------------------------------------------------------


async def test_a_conditional_reference_resolves_only_among_what_the_token_may_search(
    services: Services,
) -> None:
    with granted(PATIENT):
        assert await conditional.resolve_reference(services, f"Patient?{P1}") == "Patient/p1"
        with pytest.raises(InvalidResource) as error:
            await conditional.resolve_reference(services, f"Patient?{P2}")
        assert error.value.issues[0].details_code == "MSG_CONDITIONAL_REFERENCE"
    with granted({"scope": "user/Observation.cr"}), pytest.raises(InvalidResource):
        await conditional.resolve_reference(services, f"Patient?{P1}")  # no Patient search
    with granted(SYSTEM):
        assert await conditional.resolve_reference(services, f"Patient?{P2}") == "Patient/p2"


# --- transactions and batches ----------------------------------------------------------------


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def post(resource: dict[str, Any], **request: str) -> dict[str, Any]:
    return {
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"], **request},
    }


def delete(url: str) -> dict[str, Any]:
    return {"request": {"method": "DELETE", "url": url}}


def get(url: str) -> dict[str, Any]:
    return {"request": {"method": "GET", "url": url}}


async def run(services: Services, claims: dict[str, Any], sent: dict[str, Any]) -> Any:
    with granted(claims):
        return await transaction.process(services, sent, base_urls=(BASE,), representation=False)


async def test_a_transaction_inside_the_grant_is_stored(services: Services) -> None:
    before = await count(services, "Observation")
    answer = await run(
        services,
        PATIENT,
        bundle(
            "transaction",
            post(observation("p1")),
            post({**observation("p1", "vital-signs"), "subject": {"reference": f"Patient?{P1}"}}),
            delete("Observation/vital1"),
            get("Observation/lab1"),
        ),
    )
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "201 Created", "204 No Content", "200 OK"]
    assert await count(services, "Observation") == before + 1  # two created, one deleted


@pytest.mark.parametrize(
    "forbidden_entry",
    [
        pytest.param(post(observation("p2")), id="create-for-other-patient"),
        pytest.param(delete("Observation/lab2"), id="delete-other-patients"),
        pytest.param(get("Observation/lab2"), id="read-other-patients"),
        pytest.param(get("Medication/med1"), id="read-outside-compartments"),
        pytest.param(
            {
                "resource": {**observation("p1"), "id": "lab2"},
                "request": {"method": "PUT", "url": "Observation/lab2"},
            },
            id="take-over-by-put",
        ),
        pytest.param(
            post(observation("p1"), ifNoneExist=LAB_OF.format("p2")),
            id="conditional-create-matching-other-patients",
        ),
        pytest.param(delete(f"Observation?{LAB_OF.format('p2')}"), id="conditional-delete"),
    ],
)
async def test_one_forbidden_entry_fails_the_whole_transaction_storing_nothing(
    services: Services, forbidden_entry: dict[str, Any]
) -> None:
    store = services.store("Observation")
    before = {rid: await store.current(rid) for rid in ("lab1", "lab2", "vital1")}
    counted = await count(services, "Observation")
    sent = bundle(
        "transaction", post(observation("p1")), delete("Observation/vital1"), forbidden_entry
    )
    with pytest.raises(EntryFailed) as error:
        await run(services, PATIENT, sent)
    assert error.value.status == 403
    (issue,) = error.value.issues
    assert issue.code == "forbidden"
    assert issue.expression is not None
    assert issue.expression.startswith("Bundle.entry[2]")
    assert await count(services, "Observation") == counted
    assert {rid: await store.current(rid) for rid in before} == before


async def test_a_conditional_reference_to_another_patient_fails_the_transaction(
    services: Services,
) -> None:
    counted = await count(services, "Observation")
    sent = bundle(
        "transaction", post({**observation("p1"), "subject": {"reference": f"Patient?{P2}"}})
    )
    with pytest.raises(EntryFailed) as error:
        await run(services, PATIENT, sent)
    assert error.value.status == 400  # no match the token can see: the no-match answer
    assert await count(services, "Observation") == counted


async def test_a_batch_answers_403_for_the_forbidden_entry_only(services: Services) -> None:
    before = await count(services, "Observation")
    answer = await run(
        services,
        PATIENT,
        bundle(
            "batch",
            post(observation("p1")),
            post(observation("p2")),
            get("Observation/lab2"),
            delete("Observation/lab2"),
            get("Observation/lab1"),
        ),
    )
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["201 Created", "403 Forbidden", "403 Forbidden", "403 Forbidden", "200 OK"]
    refused = answer["entry"][1]["response"]["outcome"]["issue"][0]
    assert refused["code"] == "forbidden"
    assert await count(services, "Observation") == before + 1
    assert await exists(services, "Observation", "lab2")
    assert answer["entry"][4]["resource"]["id"] == "lab1"


async def test_a_type_without_any_scope_is_403_in_a_batch_not_404(services: Services) -> None:
    answer = await run(
        services,
        PATIENTS_ONLY,
        bundle(
            "batch",
            get("Observation/nothing-here"),
            get("Patient/p1"),
        ),
    )
    statuses = [e["response"]["status"] for e in answer["entry"]]
    assert statuses == ["403 Forbidden", "200 OK"]


async def test_the_same_transaction_with_no_token_is_stored(services: Services) -> None:
    """TRUSTED (the CLI, AUTH_MODE=off): the entries a patient token may not write are stored."""
    sent = bundle("transaction", post(observation("p2")), delete("Observation/lab2"))
    answer = await transaction.process(services, sent, base_urls=(BASE,), representation=False)
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created", "204 No Content"]
    assert not await exists(services, "Observation", "lab2")


async def test_a_conditional_delete_matching_nothing_is_still_404_with_the_scope(
    services: Services,
) -> None:
    with granted(PATIENT), pytest.raises(NotFound):
        await conditional.conditional_delete(
            services, services.store("Observation"), LAB_OF.format("p9")
        )


@pytest.mark.parametrize(
    "conditional_entry",
    [
        pytest.param(delete("Observation?code=http://loinc.org|718-7"), id="delete"),
        pytest.param(
            post(observation("p1"), ifNoneExist="code=http://loinc.org|718-7"), id="create"
        ),
        pytest.param(
            {
                "resource": observation("p1"),
                "request": {"method": "PUT", "url": "Observation?code=http://loinc.org|718-7"},
            },
            id="update",
        ),
    ],
)
async def test_a_conditional_entry_without_the_scope_is_403_not_412_in_a_transaction(
    services: Services, conditional_entry: dict[str, Any]
) -> None:
    """Three Observations match: planning refuses the entry for its scope before counting."""
    sent = bundle("transaction", conditional_entry)
    with pytest.raises(EntryFailed) as error:
        await run(services, PATIENTS_ONLY, sent)
    assert (error.value.status, error.value.issues[0].code) == (403, "forbidden")
    with pytest.raises(EntryFailed) as error:
        await run(services, PATIENT, sent)
    assert error.value.status == 412
