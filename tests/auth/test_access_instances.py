"""Read, vread, instance history, create, update and delete under a token's grant, at the
service level (gateway.services.resources; the rule in gateway.services.access): an instance
outside the grant is 403, a write outside it stores nothing, and no token (TRUSTED) changes
nothing."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import Forbidden, Gone, MethodNotAllowed, NotFound
from gateway.services import resources
from gateway.services.access import TRUSTED, acting_as
from gateway.services.context import Services
from tests.auth.instance_grants import (
    LAB,
    PATIENT,
    PATIENT_V1,
    PATIENTS_ONLY,
    READ_ONLY,
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


async def read_as(services: Services, claims: dict[str, Any], resource_type: str, rid: str) -> Any:
    with granted(claims):
        return await resources.read(services.store(resource_type), rid)


def forbidden(error: pytest.ExceptionInfo[Forbidden]) -> None:
    """The refusal is a 403 OperationOutcome issue `forbidden` naming the scope problem."""
    assert error.value.status == 403
    (issue,) = error.value.issues
    assert (issue.code, issue.details_code) == ("forbidden", "MSG_AUTH_SCOPE")


# --- read ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "resource_type", "rid"),
    [
        pytest.param(PATIENT, "Observation", "lab1", id="patient-v2-own"),
        pytest.param(PATIENT_V1, "Observation", "vital1", id="patient-v1-own"),
        pytest.param(PATIENT, "Patient", "p1", id="patient-self"),
        pytest.param(LAB, "Observation", "lab1", id="query-met"),
        pytest.param(USER, "Observation", "lab2", id="user-any-patient"),
        pytest.param(SYSTEM, "Medication", "med1", id="system-all"),
        pytest.param(SYSTEM, "Observation", "lab2", id="system-other-patient"),
    ],
)
async def test_a_read_inside_the_grant_answers_the_resource(
    services: Services, claims: dict[str, Any], resource_type: str, rid: str
) -> None:
    version = await read_as(services, claims, resource_type, rid)
    assert version.resource["id"] == rid


@pytest.mark.parametrize(
    ("claims", "resource_type", "rid"),
    [
        pytest.param(PATIENT, "Observation", "lab2", id="other-patient"),
        pytest.param(PATIENT, "Patient", "p2", id="other-patient-itself"),
        pytest.param(PATIENT_V1, "Observation", "lab2", id="v1-other-patient"),
        pytest.param(LAB, "Observation", "vital1", id="query-not-met"),
        pytest.param(PATIENTS_ONLY, "Observation", "lab1", id="type-not-allowed"),
        pytest.param(USER, "Medication", "med1", id="user-type-not-allowed"),
        pytest.param(PATIENT, "Medication", "med1", id="outside-every-compartment"),
        pytest.param({"scope": "patient/*.rs"}, "Observation", "lab1", id="no-patient-claim"),
    ],
)
async def test_a_read_outside_the_grant_is_403(
    services: Services, claims: dict[str, Any], resource_type: str, rid: str
) -> None:
    with pytest.raises(Forbidden) as error:
        await read_as(services, claims, resource_type, rid)
    forbidden(error)


async def test_without_a_read_scope_an_unknown_or_deleted_id_is_403_not_404_or_410(
    services: Services,
) -> None:
    await resources.delete(services.store("Observation"), "lab1")
    for rid in ("lab1", "nothing-here"):
        with pytest.raises(Forbidden):
            await read_as(services, PATIENTS_ONLY, "Observation", rid)
    with pytest.raises(Gone):
        await read_as(services, PATIENT, "Observation", "lab1")
    with pytest.raises(NotFound):
        await read_as(services, PATIENT, "Observation", "nothing-here")


async def test_a_read_with_no_token_is_trusted(services: Services) -> None:
    with acting_as(TRUSTED):
        version = await resources.read(services.store("Observation"), "lab2")
    assert version.resource is not None
    assert version.resource["subject"] == {"reference": "Patient/p2"}


# --- vread and history -----------------------------------------------------------------------


async def test_vread_is_checked_as_a_read(services: Services) -> None:
    store = services.store("Observation")
    with granted(PATIENT):
        assert (await resources.vread(store, "lab1", "1")).version_id == 1
        with pytest.raises(Forbidden):
            await resources.vread(store, "lab2", "1")
    with granted(LAB), pytest.raises(Forbidden):
        await resources.vread(store, "vital1", "1")
    with granted(PATIENTS_ONLY), pytest.raises(Forbidden):
        await resources.vread(store, "nothing-here", "1")  # 403 before the 404
    with granted(USER):
        assert (await resources.vread(store, "lab2", "1")).id == "lab2"


async def test_a_history_with_one_version_outside_the_grant_is_403(services: Services) -> None:
    """lab1 moved from p1 to p2 (by the system): p1's token may see neither its history nor its
    old version through it, p2's neither; a user token sees both versions."""
    store = services.store("Observation")
    await resources.update(store, "lab1", {**observation("p2"), "id": "lab1"})
    for claims in (PATIENT, {**PATIENT, "patient": "p2"}):
        with granted(claims), pytest.raises(Forbidden) as error:
            await resources.history(store, "lab1", count=10)
        forbidden(error)
    with granted(USER):
        versions = await resources.history(store, "lab1", count=10)
    assert [v.version_id for v in versions] == [2, 1]


async def test_a_history_inside_the_grant_lists_every_version(services: Services) -> None:
    store = services.store("Observation")
    await resources.update(store, "lab1", {**observation("p1", valueString="7"), "id": "lab1"})
    await resources.delete(store, "lab1")
    with granted(PATIENT):
        versions = await resources.history(store, "lab1", count=10)
    assert [(v.version_id, v.deleted) for v in versions] == [(3, True), (2, False), (1, False)]
    with granted(PATIENTS_ONLY), pytest.raises(Forbidden):
        await resources.history(store, "lab1", count=10)


# --- create ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "subject", "category"),
    [
        pytest.param(PATIENT, "p1", "vital-signs", id="patient-own"),
        pytest.param(PATIENT_V1, "p1", "laboratory", id="patient-v1-write"),
        pytest.param(LAB, "p1", "laboratory", id="query-met"),
        pytest.param(USER, "p2", "laboratory", id="user-any-patient"),
        pytest.param(SYSTEM, "p2", "vital-signs", id="system"),
    ],
)
async def test_a_create_inside_the_grant_is_stored(
    services: Services, claims: dict[str, Any], subject: str, category: str
) -> None:
    store = services.store("Observation")
    with granted(claims):
        written = await resources.create(store, observation(subject, category))
    assert written.created
    assert await exists(services, "Observation", written.version.id)


@pytest.mark.parametrize(
    ("claims", "body"),
    [
        pytest.param(PATIENT, observation("p2"), id="other-patient"),
        pytest.param(PATIENT, {**observation("p1"), "subject": None}, id="no-patient-at-all"),
        pytest.param(LAB, observation("p1", "vital-signs"), id="query-not-met"),
        pytest.param(PATIENTS_ONLY, observation("p1"), id="type-not-allowed"),
        pytest.param(READ_ONLY, observation("p1"), id="read-only-token"),
        pytest.param(PATIENT, patient("ignored", "MRN-9"), id="another-patient-resource"),
    ],
)
async def test_a_create_outside_the_grant_is_403_and_stores_nothing(
    services: Services, claims: dict[str, Any], body: dict[str, Any]
) -> None:
    body = {k: v for k, v in body.items() if v is not None}
    before = await count(services, body["resourceType"])
    with granted(claims), pytest.raises(Forbidden) as error:
        await resources.create(services.store(body["resourceType"]), body)
    forbidden(error)
    assert await count(services, body["resourceType"]) == before


async def test_a_create_is_checked_with_the_id_it_is_stored_under(services: Services) -> None:
    """A Patient is in its own compartment by id: a Bundle that chose p1's id may write it as
    new only if it is p1 (here it exists, so the store refuses the duplicate; the grant let
    it through), never under another id."""
    store = services.store("Patient")
    with granted(PATIENT), pytest.raises(Forbidden):
        await resources.create(store, patient("p1", "MRN-1"), resource_id="p9")
    with granted({**PATIENT, "patient": "p9"}):
        written = await resources.create(store, patient("x", "MRN-9"), resource_id="p9")
    assert written.version.id == "p9"


# --- update ----------------------------------------------------------------------------------


async def test_an_update_inside_the_grant_is_stored(services: Services) -> None:
    store = services.store("Observation")
    with granted(PATIENT):
        written = await resources.update(
            store, "lab1", {**observation("p1"), "id": "lab1", "valueString": "8"}
        )
    assert written.version.version_id == 2
    with granted(USER):
        written = await resources.update(
            store, "lab2", {**observation("p2"), "id": "lab2", "valueString": "8"}
        )
    assert written.version.version_id == 2


@pytest.mark.parametrize(
    ("claims", "rid", "subject", "category"),
    [
        pytest.param(PATIENT, "lab2", "p1", "laboratory", id="take-over-other-patients"),
        pytest.param(PATIENT, "lab1", "p2", "laboratory", id="move-own-to-other-patient"),
        pytest.param(PATIENT, "lab2", "p2", "laboratory", id="other-patients"),
        pytest.param(LAB, "vital1", "p1", "laboratory", id="query-not-met-before"),
        pytest.param(LAB, "lab1", "p1", "vital-signs", id="query-not-met-after"),
        pytest.param(PATIENTS_ONLY, "lab1", "p1", "laboratory", id="type-not-allowed"),
        pytest.param(READ_ONLY, "lab1", "p1", "laboratory", id="read-only-token"),
    ],
)
async def test_an_update_outside_the_grant_is_403_and_changes_nothing(
    services: Services, claims: dict[str, Any], rid: str, subject: str, category: str
) -> None:
    store = services.store("Observation")
    before = await store.current(rid)
    body = {**observation(subject, category), "id": rid, "valueString": "changed"}
    with granted(claims), pytest.raises(Forbidden) as error:
        await resources.update(store, rid, body)
    forbidden(error)
    assert await store.current(rid) == before


async def test_if_match_on_a_resource_outside_the_grant_is_403_not_412(
    services: Services,
) -> None:
    store = services.store("Observation")
    with granted(PATIENT), pytest.raises(Forbidden):
        await resources.update(store, "lab2", {**observation("p1"), "id": "lab2"}, if_match=7)


async def test_an_update_that_creates_needs_create_too(services: Services) -> None:
    store = services.store("Observation")
    body = {**observation("p1"), "id": "new1"}
    no_create = {"scope": "patient/Observation.ru", "patient": "p1"}
    with granted(no_create), pytest.raises(Forbidden):
        await resources.update(store, "new1", body)
    assert not await exists(services, "Observation", "new1")
    with granted({"scope": "patient/Observation.cu", "patient": "p1"}):
        assert (await resources.update(store, "new1", body)).created


# --- delete ----------------------------------------------------------------------------------


async def test_a_delete_inside_the_grant_deletes(services: Services) -> None:
    with granted(PATIENT):
        await resources.delete(services.store("Observation"), "vital1")
    with granted(SYSTEM):
        await resources.delete(services.store("Medication"), "med1")
    assert not await exists(services, "Observation", "vital1")
    assert not await exists(services, "Medication", "med1")


@pytest.mark.parametrize(
    ("claims", "resource_type", "rid"),
    [
        pytest.param(PATIENT, "Observation", "lab2", id="other-patient"),
        pytest.param(LAB, "Observation", "vital1", id="query-not-met"),
        pytest.param(PATIENTS_ONLY, "Observation", "lab1", id="type-not-allowed"),
        pytest.param(READ_ONLY, "Observation", "lab1", id="read-only-token"),
        pytest.param(USER, "Patient", "p2", id="user-without-delete"),
    ],
)
async def test_a_delete_outside_the_grant_is_403_and_deletes_nothing(
    services: Services, claims: dict[str, Any], resource_type: str, rid: str
) -> None:
    with granted(claims), pytest.raises(Forbidden) as error:
        await resources.delete(services.store(resource_type), rid)
    forbidden(error)
    assert await exists(services, resource_type, rid)


async def test_deleting_what_is_not_there_needs_the_scope_on_the_type(services: Services) -> None:
    store = services.store("Observation")
    with granted(PATIENTS_ONLY), pytest.raises(Forbidden):
        await resources.delete(store, "nothing-here")
    with granted(PATIENT), pytest.raises(NotFound):
        await resources.delete(store, "nothing-here")


async def test_a_published_type_stays_405_whatever_the_token(services: Services) -> None:
    store = services.store("ValueSet")
    body = {"resourceType": "ValueSet", "status": "draft"}
    for claims in (PATIENT, SYSTEM, {"scope": "user/Observation.rs"}):
        with granted(claims):
            with pytest.raises(MethodNotAllowed):
                await resources.create(store, body)
            with pytest.raises(MethodNotAllowed):
                await resources.delete(store, "administrative-gender")
