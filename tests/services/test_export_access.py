"""The access stored with an `$export` job rebuilds the very `Access` it was captured from, so
any worker decides ownership and `requiresAccessToken` as the kick-off's worker would."""

from __future__ import annotations

import pytest

from gateway.auth.grant import GRANT_ALL, Grant
from gateway.auth.scopes import parse_scopes
from gateway.services.access import TRUSTED, Access
from gateway.services.export_access import access_of, stored_access
from gateway.store.embedded import embedded_client

BASE = ("http://test/fhir",)


@pytest.mark.parametrize(
    "access",
    [
        pytest.param(TRUSTED, id="authorization-off"),
        pytest.param(Access(GRANT_ALL, BASE), id="authorization-off-with-base"),
        pytest.param(
            Access(Grant(parse_scopes("system/*.rs"), client_id="backend", subject="svc"), BASE),
            id="system",
        ),
        pytest.param(
            Access(
                Grant(
                    parse_scopes(
                        "patient/Observation.rs?category=laboratory&code=http://loinc.org|718-7 "
                        "patient/Patient.read launch/patient openid"
                    ),
                    patient="p1",
                    client_id="app-1",
                    subject="u-7",
                    fhir_user="Practitioner/9",
                ),
                BASE,
            ),
            id="patient-with-queries",
        ),
        pytest.param(
            Access(Grant(parse_scopes("user/*.cruds system/AuditEvent.rs"), subject="s")),
            id="user-and-audit",
        ),
        pytest.param(Access(Grant(())), id="nothing-granted"),
    ],
)
async def test_the_stored_access_rebuilds_the_same_access(access: Access) -> None:
    collection = embedded_client()["db"]["export_jobs"]  # through the store, as BSON would
    await collection.insert_one({"_id": "j", "access": stored_access(access)})
    stored = await collection.find_one({"_id": "j"})
    assert stored is not None
    rebuilt = access_of(stored["access"])
    assert rebuilt == access
    assert rebuilt.unrestricted is access.unrestricted


def test_authorization_off_is_stored_as_such_not_as_its_scopes() -> None:
    assert stored_access(TRUSTED) == {"all": True, "base_urls": []}
    everything = Grant(GRANT_ALL.scopes)  # the same scopes, but not authorization off
    rebuilt = access_of(stored_access(Access(everything)))
    assert rebuilt == Access(everything)
    assert not rebuilt.unrestricted


def test_a_scope_that_no_longer_parses_grants_nothing() -> None:
    stored = stored_access(Access(Grant(parse_scopes("patient/Patient.rs"), patient="p1")))
    stored["scopes"].append("patient/Banana.rs")
    assert access_of(stored).grant.scopes == parse_scopes("patient/Patient.rs")
