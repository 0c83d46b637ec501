"""`:in`, `:not-in`, `:below`, `:above` through the search endpoint on the embedded store, with
R4's own value sets and code systems (search.html#modifiers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

from tests.conftest import populated_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
VITAL_SIGNS = "http://hl7.org/fhir/ValueSet/observation-vitalsignresult"  # 13 LOINC codes, listed


def observation(id_: str, system: str, code: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": id_, "status": "final",
            "code": {"coding": [{"system": system, "code": code}]}}  # fmt: skip


def condition(id_: str, status: str, category: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition", "id": id_,
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "subject": {"reference": "Patient/p"},
    }  # fmt: skip


def encounter(id_: str, class_code: str) -> dict[str, Any]:
    return {"resourceType": "Encounter", "id": id_, "status": "finished",
            "class": {"system": ACT_CODE, "code": class_code}}  # fmt: skip


POPULATION = [
    {"resourceType": "Patient", "id": "p"},
    observation("heart-rate", LOINC, "8867-4"),
    observation("weight", LOINC, "29463-7"),
    observation("glucose", LOINC, "2339-0"),
    observation("snomed-hr", "http://snomed.info/sct", "8867-4"),
    condition("active", "active", "problem-list-item"),
    condition("resolved", "resolved", "encounter-diagnosis"),
    condition("remission", "remission", "problem-list-item"),
    encounter("inpatient", "IMP"),
    encounter("acute", "ACUTE"),
    encounter("ambulatory", "AMB"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api() -> AsyncIterator[AsyncClient]:
    async with populated_client(POPULATION) as client:
        yield client


async def ids(api: AsyncClient, path: str, params: dict[str, str]) -> list[str]:
    response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return sorted(entry["resource"]["id"] for entry in response.json().get("entry", []))


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        pytest.param("/Observation", {"code:in": VITAL_SIGNS}, ["heart-rate", "weight"], id="obs-in"),
        pytest.param(
            "/Observation", {"code:not-in": VITAL_SIGNS}, ["glucose", "snomed-hr"], id="obs-not-in"
        ),
        pytest.param(
            "/Condition", {"clinical-status:in": "http://hl7.org/fhir/ValueSet/condition-clinical"},
            ["active", "remission", "resolved"], id="condition-clinical-in",
        ),
        pytest.param(
            "/Condition", {"clinical-status:below": f"{CLINICAL}|inactive"},
            ["remission", "resolved"], id="condition-clinical-below",
        ),
        pytest.param(
            "/Condition", {"category:below": f"{CATEGORY}|problem-list-item"},
            ["active", "remission"], id="condition-category-below-flat",
        ),
        pytest.param(
            "/Encounter", {"class:below": f"{ACT_CODE}|IMP"}, ["acute", "inpatient"],
            id="encounter-class-below",
        ),
        pytest.param(
            "/Encounter", {"class:above": f"{ACT_CODE}|ACUTE"}, ["acute", "inpatient"],
            id="encounter-class-above-ancestors"
        ),
        pytest.param(
            "/Encounter", {"class:below": f"{ACT_CODE}|_ActEncounterCode"},
            ["acute", "ambulatory", "inpatient"], id="encounter-class-below-abstract-root",
        ),
    ],
)  # fmt: skip
async def test_search(
    api: AsyncClient, path: str, params: dict[str, str], expected: list[str]
) -> None:
    assert await ids(api, path, params) == expected


async def test_not_in_two_value_sets_is_in_neither(api: AsyncClient) -> None:
    both = f"{VITAL_SIGNS},http://hl7.org/fhir/ValueSet/ldlcholesterol-codes"
    assert await ids(api, "/Observation", {"code:not-in": both}) == ["glucose", "snomed-hr"]


@pytest.mark.parametrize(
    ("params", "diagnostics"),
    [
        pytest.param(
            {"code:in": "http://example.org/ValueSet/nowhere"},
            "ValueSet `http://example.org/ValueSet/nowhere` is not held by this server.",
            id="unknown-value-set",
        ),
        pytest.param(
            {"code:in": "http://hl7.org/fhir/ValueSet/observation-codes"},
            "ValueSet `http://hl7.org/fhir/ValueSet/observation-codes` cannot be expanded here: "
            "it includes all codes of CodeSystem `http://loinc.org`, which is not held.",
            id="not-enumerable",
        ),
        pytest.param(
            {"code:below": f"{LOINC}|8867-4"},
            f"CodeSystem `{LOINC}` is not held by this server, so `:below` cannot be evaluated.",
            id="system-not-held",
        ),
    ],
)
async def test_what_is_not_held_is_a_400(
    api: AsyncClient, params: dict[str, str], diagnostics: str
) -> None:
    response = await api.get("/Observation", params=params)
    assert response.status_code == 400, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert [issue["diagnostics"] for issue in outcome["issue"]] == [diagnostics]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param("/Observation", {"code:in": "\x00"}, id="in-nul"),
        pytest.param("/Observation", {"code:in": "x" * 5000}, id="in-long"),
        pytest.param("/Observation", {"code:not-in": ","}, id="not-in-commas"),
        pytest.param("/Observation", {"code:in": f"{VITAL_SIGNS}|9.9.9"}, id="in-other-version"),
        pytest.param("/Observation", {"code:below": "|"}, id="below-bar"),
        pytest.param("/Observation", {"code:below": "a|b|c"}, id="below-three-parts"),
        pytest.param("/Observation", {"code:above": f"{ACT_CODE}|"}, id="above-no-code"),
        pytest.param("/Patient", {"identifier:in": VITAL_SIGNS}, id="in-identifier"),
        pytest.param("/Patient", {"active:below": "true"}, id="below-boolean"),
        pytest.param(
            "/Observation",
            {"code:in": "http://hl7.org/fhir/ValueSet/use-context"},
            id="in-imports-unheld",
        ),
    ],
)
async def test_hostile_values_are_400s(api: AsyncClient, path: str, params: dict[str, str]) -> None:
    response = await api.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_in_with_the_held_version(api: AsyncClient) -> None:
    assert await ids(api, "/Observation", {"code:in": f"{VITAL_SIGNS}|4.0.1"}) == [
        "heart-rate",
        "weight",
    ]
