"""The oracle can fail: each kind of leak and wrong answer it must catch, on made-up responses."""

from __future__ import annotations

import pytest

from tests.auth.matrix.grants import GRANTS, GrantRow
from tests.auth.matrix.oracle import Expect, judge
from tests.auth.matrix.world import FACTS, A, B, Facts, Json, observation

PATIENT_A = next(g for g in GRANTS if g.id == "patient-all-rs-v2")
LAB_ONLY = next(g for g in GRANTS if g.id == "patient-obs-lab-v2")
NOTHING = next(g for g in GRANTS if g.id == "patient-obs-read-no-patient")
SYSTEM = next(g for g in GRANTS if g.id == "system-all-rs-v2")


def searchset(*entries: tuple[Json, str], total: int | None = None) -> Json:
    bundle: Json = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": resource, "search": {"mode": mode}} for resource, mode in entries
    ]}  # fmt: skip
    if total is not None:
        bundle["total"] = total
    return bundle


def test_the_world_knows_its_owners() -> None:
    assert FACTS["Observation/pa-lab"] == Facts("Observation", "pa-lab", A, "laboratory")
    assert FACTS["AllergyIntolerance/pb-alg"].owner == B
    assert FACTS[f"Patient/{B}"].owner == B
    assert FACTS["Organization/org"].owner is None
    assert FACTS["Observation/moved"].owner == B  # its current version


def test_another_patients_match_is_a_leak() -> None:
    document = searchset((observation("pb-lab", B, "laboratory"), "match"))
    verdict = judge(PATIENT_A, Expect.of(200, letter="s"), 200, [document])
    assert verdict.leaks == ["Observation/pb-lab returned under `s`"]


def test_an_included_resource_outside_the_compartment_is_a_leak() -> None:
    organization = {"resourceType": "Organization", "id": "org"}
    document = searchset(({"resourceType": "Patient", "id": A}, "match"), (organization, "include"))
    verdict = judge(PATIENT_A, Expect.of(200, letter="s"), 200, [document])
    assert verdict.leaks == ["Organization/org returned under `r`"]


def test_a_result_outside_the_query_is_a_leak() -> None:
    document = searchset((observation("pa-vital", A, "vital-signs"), "match"))
    assert judge(LAB_ONLY, Expect.of(200, letter="s"), 200, [document]).leaks


def test_a_search_in_a_batch_response_is_judged_too() -> None:
    inner = searchset((observation("pb-vital", B, "vital-signs"), "match"))
    batch = {"resourceType": "Bundle", "type": "batch-response", "entry": [{"resource": inner}]}
    assert judge(PATIENT_A, Expect.of(200, letter="r"), 200, [batch]).leaks


def test_a_total_counting_hidden_matches_is_a_leak() -> None:
    document = searchset((observation("pa-lab", A, "laboratory"), "match"), total=2)
    expect = Expect.of(200, letter="s", exact=frozenset({"Observation/pa-lab"}))
    assert judge(LAB_ONLY, expect, 200, [document]).leaks == [
        "total 2 counts more than the 1 visible"
    ]


def test_a_chain_match_beyond_the_exact_answer_is_a_leak() -> None:
    document = searchset((observation("pb-lab", B, "laboratory"), "match"))
    user_obs = next(g for g in GRANTS if g.id == "user-obs-rs-v2")
    expect = Expect.of(200, letter="s", exact=frozenset())
    assert judge(user_obs, expect, 200, [document]).leaks == [
        "Observation/pb-lab matched though the grant cannot find it"
    ]


def test_a_deletion_entry_names_what_it_deleted() -> None:
    history = {"resourceType": "Bundle", "type": "history", "entry": [
        {"request": {"method": "DELETE", "url": "Observation/pb-gone"}},
    ]}  # fmt: skip
    assert judge(PATIENT_A, Expect.of(200, letter="s"), 200, [history]).leaks
    assert not judge(SYSTEM, Expect.of(200, letter="s"), 200, [history]).leaks


def test_a_wrong_status_and_a_missing_match_are_wrong() -> None:
    expect = Expect.of(200, letter="s", exact=frozenset({"Observation/pa-lab"}))
    verdict = judge(PATIENT_A, expect, 200, [searchset()])
    assert verdict.wrong == ["Observation/pa-lab missing"]
    assert judge(PATIENT_A, Expect.of(403), 200, []).wrong == ["status 200, expected [403]"]


@pytest.mark.parametrize("grant", [NOTHING, next(g for g in GRANTS if g.id == "openid-fhiruser")])
def test_grants_without_a_usable_scope_permit_nothing(grant: GrantRow) -> None:
    assert not any(grant.permits(letter, f) for f in FACTS.values() for letter in "cruds")


def test_star_never_covers_audit_events() -> None:
    event = Facts("AuditEvent", "e1", None)
    assert not any(g.permits("s", event) for g in GRANTS)
