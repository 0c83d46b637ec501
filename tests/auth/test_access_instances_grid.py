"""Every kind of grant against every body, for create, update and delete: what the service
stores must be exactly what the grant permits (gateway.auth.grant.permits, the pure oracle), and
a refusal is always a 403 that changes nothing."""

from __future__ import annotations

from itertools import product
from typing import Any

from gateway.auth.grant import grant_from_claims, permits
from gateway.errors import Forbidden
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.context import Services
from tests.auth.instance_grants import (
    BASE,
    LAB,
    PATIENT,
    PATIENT_V1,
    PATIENTS_ONLY,
    READ_ONLY,
    SYSTEM,
    USER,
    granted,
    observation,
    services,
)

__all__ = ["services"]  # the fixture

GRANTS: list[dict[str, Any]] = [
    PATIENT,
    PATIENT_V1,
    READ_ONLY,
    LAB,
    PATIENTS_ONLY,
    USER,
    SYSTEM,
    {**PATIENT, "patient": "p2"},
    {"scope": "user/Observation.cud?category=vital-signs"},
    {"scope": "patient/Observation.c patient/Observation.u", "patient": "p1"},
    {"scope": "patient/*.cruds"},  # no patient claim: grants nothing
]
BODIES = [
    (subject, category) for subject in ("p1", "p2") for category in ("laboratory", "vital-signs")
]


def allowed(claims: dict[str, Any], interaction: Any, body: Json) -> bool:
    return permits(grant_from_claims(claims), interaction, body, base_urls=(BASE,))


async def test_a_create_stores_exactly_what_the_grant_permits(services: Services) -> None:
    store, wrong, seen = services.store("Observation"), [], set()
    for (number, claims), (subject, category) in product(enumerate(GRANTS), BODIES):
        body = {**observation(subject, category), "id": f"c{number}{subject}{category}"}
        expected = allowed(claims, "c", body)
        seen.add(expected)
        try:
            with granted(claims):
                await resources.create(store, body, resource_id=body["id"])
        except Forbidden:
            stored = await store.current(body["id"]) is not None
            if expected or stored:
                wrong.append(("refused", claims, body))
        else:
            if not expected:
                wrong.append(("stored", claims, body))
    assert wrong == []
    assert seen == {True, False}  # the grid holds both answers


async def test_an_update_stores_exactly_what_the_grant_permits(services: Services) -> None:
    store, wrong, seen = services.store("Observation"), [], set()
    cases = product(enumerate(GRANTS), enumerate(BODIES), BODIES)
    for (number, claims), (before, (subject, category)), (new_subject, new_category) in cases:
        rid = f"u{number}-{before}-{new_subject}{new_category}"
        old = {**observation(subject, category), "id": rid}
        await resources.update(store, rid, old)  # no token: TRUSTED
        new = {**observation(new_subject, new_category), "id": rid, "valueString": "new"}
        expected = allowed(claims, "u", old) and allowed(claims, "u", new)
        seen.add(expected)
        try:
            with granted(claims):
                await resources.update(store, rid, new)
        except Forbidden:
            kept = (await store.current(rid)).resource  # type: ignore[union-attr]
            if expected or kept.get("valueString") is not None:
                wrong.append(("refused", claims, old, new))
        else:
            if not expected:
                wrong.append(("stored", claims, old, new))
    assert wrong == []
    assert seen == {True, False}  # the grid holds both answers


async def test_a_delete_deletes_exactly_what_the_grant_permits(services: Services) -> None:
    store, wrong, seen = services.store("Observation"), [], set()
    for (number, claims), (subject, category) in product(enumerate(GRANTS), BODIES):
        rid = f"d{number}{subject}{category}"
        old = {**observation(subject, category), "id": rid}
        await resources.update(store, rid, old)
        expected = allowed(claims, "d", old)
        seen.add(expected)
        try:
            with granted(claims):
                await resources.delete(store, rid)
        except Forbidden:
            if expected or await store.current(rid) is None:
                wrong.append(("refused", claims, old))
        else:
            if not expected:
                wrong.append(("deleted", claims, old))
    assert wrong == []
    assert seen == {True, False}  # the grid holds both answers


async def test_a_read_answers_exactly_what_the_grant_permits(services: Services) -> None:
    store, wrong, seen = services.store("Observation"), [], set()
    for (number, claims), (subject, category) in product(enumerate(GRANTS), BODIES):
        rid = f"r{number}{subject}{category}"
        stored = {**observation(subject, category), "id": rid}
        await resources.update(store, rid, stored)
        try:
            with granted(claims):
                await resources.read(store, rid)
            answered = True
        except Forbidden:
            answered = False
        seen.add(answered)
        if answered != allowed(claims, "r", stored):
            wrong.append((answered, claims, stored))
    assert wrong == []
    assert seen == {True, False}  # the grid holds both answers
