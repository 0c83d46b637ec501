"""$validate and the terminology operations under a token's grant, at the service level:
$validate needs create, update or read on the type, reading a stored instance needs its read,
mode=delete its delete; a terminology operation needs read on the type it reads, and on an
instance named by id, that instance's read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.errors import Forbidden, NotFound
from gateway.jsonio import Json
from gateway.services import terminology_ops, validation
from gateway.services.context import Services
from gateway.services.terminology_input import OperationInput
from tests.auth.instance_grants import (
    LAB,
    PATIENT,
    PATIENTS_ONLY,
    SYSTEM,
    USER,
    granted,
    observation,
    services,
)

__all__ = ["services"]  # the fixture

GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"  # held, status active
GENDER_CS = "http://hl7.org/fhir/administrative-gender"
CONTACT_USE = "http://hl7.org/fhir/contact-point-use"


async def validate(
    services: Services,
    claims: dict[str, Any],
    resource: Json | None,
    *,
    mode: str | None = None,
    rid: str | None = None,
) -> Json:
    asked = validation.Validation(resource, mode)  # type: ignore[arg-type]
    with granted(claims):
        return await validation.validate(services, "Observation", asked, resource_id=rid)


def valid(outcome: Json) -> bool:
    """The OperationOutcome finds no error (dom-6's narrative warning aside)."""
    assert outcome["resourceType"] == "OperationOutcome"
    return not {issue["severity"] for issue in outcome["issue"]} & {"error", "fatal"}


# --- $validate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"scope": "patient/Observation.c", "patient": "p1"}, id="create"),
        pytest.param({"scope": "patient/Observation.u", "patient": "p1"}, id="update"),
        pytest.param({"scope": "patient/Observation.r", "patient": "p1"}, id="read"),
        pytest.param(USER, id="user"),
        pytest.param(SYSTEM, id="system"),
    ],
)
async def test_type_level_validate_needs_create_update_or_read(
    services: Services, claims: dict[str, Any]
) -> None:
    assert valid(await validate(services, claims, observation("p2")))  # its content unchecked


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"scope": "patient/Observation.s", "patient": "p1"}, id="search-only"),
        pytest.param({"scope": "patient/Observation.d", "patient": "p1"}, id="delete-only"),
        pytest.param(PATIENTS_ONLY, id="other-type"),
    ],
)
async def test_type_level_validate_without_them_is_403(
    services: Services, claims: dict[str, Any]
) -> None:
    with pytest.raises(Forbidden):
        await validate(services, claims, observation("p1"))


async def test_instance_validate_needs_to_read_the_stored_instance(services: Services) -> None:
    body = {**observation("p1"), "id": "lab2"}
    for claims in (PATIENT, LAB):
        with pytest.raises(Forbidden):
            await validate(services, claims, body, mode="update", rid="lab2")
    with pytest.raises(Forbidden):
        await validate(services, LAB, {**observation("p1"), "id": "vital1"}, rid="vital1")
    assert valid(await validate(services, PATIENT, {**observation("p1"), "id": "lab1"}, rid="lab1"))
    # nothing stored under the id: nothing to read
    assert valid(await validate(services, PATIENT, {**observation("p1"), "id": "new"}, rid="new"))


async def test_validate_mode_delete_needs_delete_on_the_stored_instance(
    services: Services,
) -> None:
    with pytest.raises(Forbidden):
        await validate(services, PATIENT, None, mode="delete", rid="lab2")
    with pytest.raises(Forbidden):  # a read scope is not a delete scope
        await validate(
            services, USER | {"scope": "user/Observation.rs"}, None, mode="delete", rid="lab1"
        )
    with pytest.raises(Forbidden):  # 403 before the 404
        await validate(services, PATIENTS_ONLY, None, mode="delete", rid="nothing-here")
    with pytest.raises(NotFound):
        await validate(services, PATIENT, None, mode="delete", rid="nothing-here")
    assert valid(await validate(services, PATIENT, None, mode="delete", rid="lab1"))


# --- terminology -----------------------------------------------------------------------------

Operation = Callable[[Services], Awaitable[Json]]


def expand_by_url(services: Services) -> Awaitable[Json]:
    given = OperationInput.of("$expand", [("url", GENDER_VS)])
    return terminology_ops.expand(services, given, instance=None)


def expand_by_id(services: Services) -> Awaitable[Json]:
    given = OperationInput.of("$expand", [])
    return terminology_ops.expand(services, given, instance="administrative-gender")


def validate_code(services: Services) -> Awaitable[Json]:
    given = OperationInput.of(
        "$validate-code", [("url", GENDER_VS), ("code", "male"), ("system", GENDER_CS)]
    )
    return terminology_ops.validate_code(services, given, instance=None)


def lookup(services: Services) -> Awaitable[Json]:
    given = OperationInput.of("$lookup", [("system", GENDER_CS), ("code", "male")])
    return terminology_ops.lookup(services, given)


def translate(services: Services) -> Awaitable[Json]:
    given = OperationInput.of("$translate", [("system", CONTACT_USE), ("code", "home")])
    return terminology_ops.translate(services, given, instance=None)


OPERATIONS = [
    pytest.param(expand_by_url, "ValueSet", id="expand-by-url"),
    pytest.param(expand_by_id, "ValueSet", id="expand-by-id"),
    pytest.param(validate_code, "ValueSet", id="validate-code"),
    pytest.param(lookup, "CodeSystem", id="lookup"),
    pytest.param(translate, "ConceptMap", id="translate"),
]


@pytest.mark.parametrize(("operation", "resource_type"), OPERATIONS)
async def test_a_terminology_operation_needs_read_on_its_type(
    services: Services, operation: Operation, resource_type: str
) -> None:
    for claims in (PATIENTS_ONLY, {"scope": "user/Observation.rs"}, {"scope": "system/*.s"}):
        with granted(claims), pytest.raises(Forbidden):
            await operation(services)
    for claims in ({"scope": f"user/{resource_type}.r"}, {"scope": "system/*.rs"}):
        with granted(claims):
            answer = await operation(services)
        assert answer["resourceType"] in ("ValueSet", "Parameters")


async def test_a_patient_scope_reads_published_content_by_url_not_by_id(
    services: Services,
) -> None:
    """`patient/*.rs` allows ValueSet, confined to p1's compartment, where no ValueSet is: the
    held one is not readable by its id, while expanding by url needs the type only (the rule
    of gateway.services.terminology_ops)."""
    with granted(PATIENT):
        assert (await expand_by_url(services))["resourceType"] == "ValueSet"
        with pytest.raises(Forbidden):
            await expand_by_id(services)


async def test_an_instance_named_by_id_must_meet_the_scope_query(services: Services) -> None:
    """`user/ValueSet.rs?status=draft`: the held gender ValueSet is active, so it cannot be
    expanded by its id; by its url the type's scope is enough (published content)."""
    draft_only = {"scope": "user/ValueSet.rs?status=draft"}
    with granted(draft_only), pytest.raises(Forbidden):
        await expand_by_id(services)
    with granted(draft_only):
        assert (await expand_by_url(services))["resourceType"] == "ValueSet"
    with granted({"scope": "user/ValueSet.rs?status=active"}):
        assert (await expand_by_id(services))["id"] == "administrative-gender"
