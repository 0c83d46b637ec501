"""The grant: what a token's scopes and launch context allow, in general and on a resource."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fhir_profiles
from gateway.auth.compartment import compartment_types, in_patient_compartment
from gateway.auth.grant import (
    DENIED,
    GRANT_ALL,
    UNRESTRICTED,
    Condition,
    Grant,
    Restriction,
    grant_from_claims,
    permits,
)
from gateway.auth.paths import element_paths
from gateway.auth.queries import meets
from gateway.auth.scopes import INTERACTIONS, Interaction, parse_scopes
from gateway.jsonio import Json

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LOINC = "http://loinc.org"


def grant(scope: str, *, patient: str | None = None) -> Grant:
    return Grant(parse_scopes(scope), patient=patient)


def observation(
    patient: str = "1", *, category: str = "laboratory", code: str = "1234-5", status: str = "final"
) -> Json:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": status,
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": code}], "text": "Glucose"},
        "subject": {"reference": f"Patient/{patient}"},
        "valueCodeableConcept": {"coding": [{"system": LOINC, "code": code}]},
    }


# --- allows --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "interaction", "resource_type", "allowed"),
    [
        pytest.param("patient/Observation.read", "r", "Observation", True, id="v1-read-r"),
        pytest.param("patient/Observation.read", "s", "Observation", True, id="v1-read-s"),
        pytest.param("patient/Observation.read", "u", "Observation", False, id="v1-read-no-u"),
        pytest.param("patient/Observation.read", "r", "Patient", False, id="other-type"),
        pytest.param("user/*.write", "c", "Encounter", True, id="v1-write-c"),
        pytest.param("user/*.write", "d", "Patient", True, id="v1-write-d"),
        pytest.param("user/*.write", "r", "Patient", False, id="v1-write-no-r"),
        pytest.param("system/*.*", "s", "Encounter", True, id="v1-star"),
        # The audit trail: only a system/ scope naming AuditEvent (gateway.auth.scopes).
        pytest.param("system/*.*", "s", "AuditEvent", False, id="star-never-audit"),
        pytest.param("user/*.rs", "r", "AuditEvent", False, id="user-star-never-audit"),
        pytest.param("user/AuditEvent.rs", "s", "AuditEvent", False, id="user-audit"),
        pytest.param("patient/AuditEvent.rs", "s", "AuditEvent", False, id="patient-audit"),
        pytest.param("system/AuditEvent.rs", "s", "AuditEvent", True, id="system-audit-s"),
        pytest.param("system/AuditEvent.read", "r", "AuditEvent", True, id="system-audit-read"),
        pytest.param("system/AuditEvent.*", "r", "AuditEvent", True, id="system-audit-star"),
        pytest.param("system/AuditEvent.r", "s", "AuditEvent", False, id="system-audit-r-not-s"),
        pytest.param("user/Observation.r", "s", "Observation", False, id="r-is-not-s"),
        pytest.param("user/Observation.s", "r", "Observation", False, id="s-is-not-r"),
        pytest.param("user/Observation.cruds", "d", "Observation", True, id="cruds-d"),
        pytest.param("openid fhirUser launch/patient", "r", "Patient", False, id="no-resource"),
        pytest.param("user/Observation.sr", "r", "Observation", False, id="malformed-ignored"),
        pytest.param(
            "user/Patient.r user/Observation.s", "s", "Observation", True, id="scopes-add-up"
        ),
    ],
)
def test_allows(scope: str, interaction: Interaction, resource_type: str, allowed: bool) -> None:
    assert grant(scope, patient="1").allows(interaction, resource_type) is allowed


def test_patient_scope_without_patient_claim_grants_nothing() -> None:
    no_context = grant("patient/*.cruds")
    assert not no_context.allows("r", "Observation")
    assert no_context.restrictions("r", "Observation") == DENIED
    assert not permits(no_context, "r", observation())


def test_grant_all_allows_everything_unrestricted() -> None:
    for interaction in INTERACTIONS:
        assert GRANT_ALL.restrictions(interaction, "Observation") == UNRESTRICTED
        assert permits(GRANT_ALL, interaction, observation())
        # AUTH_MODE=off and the CLI read the audit trail too (writes: the store's 405)
        assert GRANT_ALL.restrictions(interaction, "AuditEvent") == UNRESTRICTED
    assert GRANT_ALL.patient is None


# --- restrictions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param("user/Observation.rs", UNRESTRICTED, id="user-unrestricted"),
        pytest.param("system/*.rs", UNRESTRICTED, id="system-unrestricted"),
        pytest.param("patient/Observation.rs", Restriction((Condition("7"),)), id="patient"),
        pytest.param(
            "patient/Observation.rs?category=laboratory",
            Restriction((Condition("7", (("category", "laboratory"),)),)),
            id="patient-query",
        ),
        pytest.param(
            "user/Observation.rs?category=laboratory",
            Restriction((Condition(None, (("category", "laboratory"),)),)),
            id="user-query-not-confined",
        ),
        pytest.param(
            "patient/Observation.rs?category=laboratory patient/Observation.rs?category=vital-signs",
            Restriction(
                (
                    Condition("7", (("category", "laboratory"),)),
                    Condition("7", (("category", "vital-signs"),)),
                )
            ),
            id="alternatives",
        ),
        pytest.param(
            "patient/Observation.rs?category=laboratory user/Observation.r",
            UNRESTRICTED,
            id="unrestricted-scope-wins",
        ),
        pytest.param(
            "patient/Observation.rs?category=laboratory patient/*.rs",
            Restriction((Condition("7"),)),
            id="wider-patient-scope-subsumes",
        ),
        pytest.param(
            "patient/Observation.rs user/Observation.rs?status=final",
            Restriction((Condition("7"), Condition(None, (("status", "final"),)))),
            id="patient-or-query",
        ),
        pytest.param(
            "user/Observation.rs?status=final&category=laboratory user/Observation.rs?category=laboratory&status=final",
            Restriction((Condition(None, (("status", "final"), ("category", "laboratory"))),)),
            id="same-pairs-other-order-kept-once",
        ),
        pytest.param("user/Observation.c", DENIED, id="other-interaction-denied"),
    ],
)
def test_restrictions_for_read(scope: str, expected: Restriction) -> None:
    assert grant(scope, patient="7").restrictions("r", "Observation") == expected


def test_restriction_properties() -> None:
    assert not DENIED.allowed
    assert UNRESTRICTED.allowed
    assert UNRESTRICTED.unrestricted
    assert UNRESTRICTED.patient is None
    confined = grant(
        "patient/Observation.rs?category=laboratory patient/Observation.rs?status=final",
        patient="7",
    )
    restriction = confined.restrictions("s", "Observation")
    assert restriction.allowed
    assert not restriction.unrestricted
    assert restriction.patient == "7"
    mixed = grant("patient/Observation.rs user/Observation.rs?status=final", patient="7")
    assert mixed.restrictions("s", "Observation").patient is None


# --- permits: the patient compartment ------------------------------------------------------------


def test_patient_scope_is_confined_to_the_patients_compartment() -> None:
    token = grant("patient/*.cruds", patient="1")
    assert permits(token, "r", observation("1"))
    assert not permits(token, "r", observation("2"))
    assert permits(token, "c", observation("1"))
    assert not permits(token, "c", observation("2"))  # a write into another compartment


def test_user_and_system_scopes_are_never_confined() -> None:
    for scope in ("user/Observation.rs", "system/Observation.rs"):
        assert permits(grant(scope, patient="1"), "r", observation("2"))


@pytest.mark.parametrize(
    ("resource", "member"),
    [
        pytest.param({"resourceType": "Patient", "id": "1"}, True, id="the-patient-itself"),
        pytest.param({"resourceType": "Patient", "id": "2"}, False, id="another-patient"),
        pytest.param(
            {
                "resourceType": "Patient",
                "id": "2",
                "link": [{"other": {"reference": "Patient/1"}, "type": "seealso"}],
            },
            True,
            id="patient-linked",
        ),
        pytest.param(observation("1"), True, id="subject"),
        pytest.param(
            {**observation("2"), "performer": [{"reference": "Patient/1"}]}, True, id="performer"
        ),
        pytest.param(
            {**observation("9"), "subject": {"reference": "Patient/1/_history/3"}},
            True,
            id="versioned-reference",
        ),
        pytest.param(
            {**observation("9"), "subject": {"reference": "Patient/10"}}, False, id="id-prefix"
        ),
        pytest.param(
            {**observation("9"), "subject": {"reference": "http://elsewhere.org/fhir/Patient/1"}},
            False,
            id="other-server",
        ),
        pytest.param(
            {**observation("9"), "subject": {"reference": "https://gw.example/fhir/Patient/1"}},
            True,
            id="this-server-absolute",
        ),
        pytest.param(
            {**observation("9"), "subject": {"identifier": {"value": "1"}}}, False, id="logical"
        ),
        pytest.param({**observation("9"), "subject": {"reference": "#1"}}, False, id="contained"),
        pytest.param(
            {"resourceType": "Encounter", "id": "e", "subject": {"reference": "Patient/1"}},
            True,
            id="encounter",
        ),
        pytest.param(
            {
                "resourceType": "MedicationStatement",
                "id": "m",
                "subject": {"reference": "Patient/1"},
            },
            True,
            id="medication-statement",
        ),
        pytest.param(
            {"resourceType": "Medication", "id": "m"}, False, id="type-outside-compartment"
        ),
        pytest.param({"resourceType": "Practitioner", "id": "1"}, False, id="same-id-other-type"),
        pytest.param({"id": "1"}, False, id="no-resource-type"),
    ],
)
def test_patient_compartment_membership(resource: Json, member: bool) -> None:
    assert in_patient_compartment(resource, "1", base_urls=("https://gw.example/fhir/",)) is member


def test_compartment_types_are_r4s_patient_compartment() -> None:
    types = compartment_types()
    assert {"Patient", "Observation", "Encounter", "MedicationStatement", "AuditEvent"} <= types
    assert not {"Medication", "Practitioner", "Organization"} & types


def test_every_patient_compartment_parameter_has_a_readable_path() -> None:
    """No inclusion criterion of R4's Patient compartment is silently skipped."""
    unreadable = [
        (resource_type, code)
        for resource_type, codes in fhir_profiles.compartments()["Patient"].items()
        for code in codes
        if not element_paths(resource_type, code)
    ]
    assert unreadable == []


# --- permits: v2 query restrictions --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "met"),
    [
        pytest.param("category=laboratory", True, id="code"),
        pytest.param("category=vital-signs", False, id="other-code"),
        pytest.param(f"category={CATEGORY}|laboratory", True, id="system-code"),
        pytest.param("category=http://other.org|laboratory", False, id="wrong-system"),
        pytest.param("category=|laboratory", False, id="no-system-wanted"),
        pytest.param(f"category={CATEGORY}|", True, id="system-only"),
        pytest.param("category=vital-signs,laboratory", True, id="comma-alternatives"),
        pytest.param(f"code={LOINC}|1234-5", True, id="loinc-code"),
        pytest.param(f"code={LOINC}|9999-9", False, id="other-loinc-code"),
        pytest.param("status=final", True, id="status"),
        pytest.param("status=preliminary", False, id="other-status"),
        pytest.param("status=|final", True, id="status-has-no-system"),
        pytest.param("status=final&category=laboratory", True, id="and-both-hold"),
        pytest.param("status=final&category=vital-signs", False, id="and-one-fails"),
        pytest.param("code:text=Glucose", False, id="modifier-unsupported"),
        pytest.param("value-quantity=5", False, id="quantity-unsupported"),
        pytest.param("subject=Patient/1", False, id="reference-unsupported"),
        pytest.param("date=2020", False, id="date-unsupported"),
        pytest.param("nonsense=1", False, id="unknown-parameter"),
        pytest.param("category=lab\\,oratory", False, id="escaped-comma-unsupported"),
        pytest.param("combo-code=1234-5", True, id="union-expression"),
        pytest.param("value-concept=1234-5", False, id="expression-form-unsupported"),
    ],
)
def test_query_restriction_on_an_observation(query: str, met: bool) -> None:
    token = grant(f"patient/Observation.rs?{query}", patient="1")
    assert permits(token, "r", observation("1")) is met
    assert not permits(token, "r", observation("2"))  # never outside the compartment


def test_alternative_query_restrictions_are_or() -> None:
    token = grant(
        "patient/Observation.rs?category=laboratory patient/Observation.rs?category=vital-signs",
        patient="1",
    )
    assert permits(token, "r", observation(category="laboratory"))
    assert permits(token, "r", observation(category="vital-signs"))
    assert not permits(token, "r", observation(category="imaging"))


@pytest.mark.parametrize(
    ("resource", "query", "met"),
    [
        pytest.param(
            {"resourceType": "Patient", "identifier": [{"system": "urn:mrn", "value": "42"}]},
            (("identifier", "urn:mrn|42"),),
            True,
            id="identifier",
        ),
        pytest.param(
            {"resourceType": "Patient", "identifier": [{"system": "urn:mrn", "value": "42"}]},
            (("identifier", "urn:other|42"),),
            False,
            id="identifier-other-system",
        ),
        pytest.param(
            {"resourceType": "Patient", "active": True}, (("active", "true"),), True, id="boolean"
        ),
        pytest.param(
            {"resourceType": "Patient", "active": False}, (("active", "true"),), False, id="false"
        ),
        pytest.param(
            {"resourceType": "Patient", "gender": "female"},
            (("gender", "female"),),
            True,
            id="code",
        ),
        pytest.param({"resourceType": "Patient"}, (("gender", "female"),), False, id="absent"),
        pytest.param(
            {"resourceType": "Encounter", "class": {"system": "urn:v3", "code": "AMB"}},
            (("class", "urn:v3|AMB"),),
            True,
            id="coding",
        ),
        pytest.param(
            {
                "resourceType": "Observation",
                "component": [
                    {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}},
                    {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}},
                ],
            },
            (("combo-code", f"{LOINC}|8462-4"),),
            True,
            id="nested-lists-flattened",
        ),
        pytest.param({"resourceType": "Patient"}, (), True, id="empty-query"),
        pytest.param({}, (), False, id="not-a-resource"),
    ],
)
def test_token_forms(resource: Json, query: tuple[tuple[str, str], ...], met: bool) -> None:
    assert meets(resource, query) is met


# --- claims --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        pytest.param(
            {
                "scope": "openid fhirUser patient/Observation.rs",
                "patient": "1",
                "client_id": "app",
                "sub": "u1",
                "fhirUser": "Practitioner/123",
            },
            Grant(
                parse_scopes("patient/Observation.rs"),
                patient="1",
                client_id="app",
                subject="u1",
                fhir_user="Practitioner/123",
            ),
            id="scope-string",
        ),
        pytest.param(
            {"scp": ["user/Patient.rs", "openid", 7], "azp": "spa"},
            Grant(parse_scopes("user/Patient.rs"), client_id="spa"),
            id="scp-list-azp",
        ),
        pytest.param(
            {"scp": "system/*.rs", "client_id": "a", "azp": "b"},
            Grant(parse_scopes("system/*.rs"), client_id="a"),
            id="scp-string-client-id-first",
        ),
        pytest.param(
            {"scope": "user/Patient.r", "scp": ["system/*.cruds"]},
            Grant(parse_scopes("user/Patient.r")),
            id="scope-before-scp",
        ),
        pytest.param(
            {"scope": ["user/Patient.r"], "patient": 1, "sub": "", "fhirUser": None},
            Grant(()),
            id="wrong-types-absent",
        ),
        pytest.param({}, Grant(()), id="empty"),
    ],
)
def test_grant_from_claims(claims: dict[str, Any], expected: Grant) -> None:
    assert grant_from_claims(claims) == expected


def test_claims_patient_confines_patient_scopes() -> None:
    token = grant_from_claims({"scope": "patient/*.rs user/Practitioner.rs", "patient": "1"})
    assert permits(token, "s", observation("1"))
    assert not permits(token, "s", observation("2"))
    assert permits(token, "r", {"resourceType": "Practitioner", "id": "p"})


# --- properties ----------------------------------------------------------------------------------

_SCOPE_TOKENS = st.sampled_from(
    [
        "openid",
        "launch/patient",
        "patient/*.rs",
        "patient/Observation.rs?category=laboratory",
        "patient/Observation.cud",
        "user/Observation.s",
        "user/Patient.read",
        "system/Encounter.cruds",
        "user/*.write",
        "patient/Observation.sr",
    ]
)
_TYPES = st.sampled_from(["Patient", "Observation", "Encounter", "Medication"])


@given(
    st.lists(_SCOPE_TOKENS, max_size=5),
    st.sampled_from(INTERACTIONS),
    _TYPES,
    st.sampled_from([None, "1", "2"]),
)
def test_nothing_is_permitted_that_no_scope_letter_names(
    tokens: list[str], interaction: Interaction, resource_type: str, patient: str | None
) -> None:
    token = Grant(parse_scopes(" ".join(tokens)), patient=patient)
    named = any(
        scope.covers(interaction, resource_type) and (scope.context != "patient" or patient)
        for scope in token.scopes
    )
    assert token.allows(interaction, resource_type) is named
    resource: Json = {
        "resourceType": resource_type,
        "id": "1",
        "subject": {"reference": "Patient/1"},
    }
    if not named:
        assert not permits(token, interaction, resource)
    if patient is not None and all(s.context == "patient" for s in token.scopes):
        # patient scopes only: nothing outside the patient's compartment
        assert not permits(
            token, interaction, {**resource, "id": "x", "subject": {"reference": "Patient/3"}}
        )
