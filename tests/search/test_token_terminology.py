"""`:in`, `:not-in`, `:below`, `:above` on tokens (search.html#modifiers): golden MongoDB filters,
what they match in mongomock, and the 400s for what the gateway does not hold."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from fhir_profiles.canonical import Canonicals, held
from gateway.errors import GatewayError, InvalidSearch
from gateway.search.model import NOTHING, Clause, SearchParameter
from gateway.search.token import clause
from gateway.terminology import LocalSource, UnknownCodeSystem, UnknownValueSet

OBS = ("Observation",)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"
VITALS = "http://example.org/fhir/ValueSet/vitals"
MIXED = "http://example.org/fhir/ValueSet/mixed"
EXTRA = [
    {"resourceType": "ValueSet", "url": VITALS, "compose": {"include": [
        {"system": LOINC, "concept": [{"code": "8867-4"}, {"code": "29463-7"}]}]}},
    {"resourceType": "ValueSet", "url": MIXED, "compose": {"include": [
        {"system": LOINC, "concept": [{"code": "8867-4"}]},
        {"system": SNOMED, "concept": [{"code": "364075005"}]}]}},
]  # fmt: skip
SOURCE = LocalSource(Canonicals([*held(), *EXTRA]))

CODE = SearchParameter("code", "token", OBS, ("code.coding[]",), kind="codeable")
COMBO = SearchParameter(
    "combo-code", "token", OBS, ("code.coding[]", "components.code.coding[]"), kind="codeable"
)
CLASS = SearchParameter("class", "token", ("Encounter",), ("encounter_class",), kind="coding")
GENDER = SearchParameter(
    "gender", "token", ("Patient",), ("sex",), kind="code", system=GENDER_SYSTEM
)
STATUS = SearchParameter(
    "clinical-status", "token", ("Condition",), ("index.clinical-status[]",), kind="indexed",
    indexed=True,
)  # fmt: skip
BOUND = SearchParameter(
    "gender", "token", ("Person",), ("index.gender[]",), kind="indexed", indexed=True,
    system=GENDER_SYSTEM,
)  # fmt: skip
IDENTIFIER = SearchParameter("identifier", "token", OBS, ("identifiers[]",), kind="identifier")


def build(param: SearchParameter, modifier: str, value: str) -> Clause:
    return clause(param, modifier, value, terminology=SOURCE)


@pytest.mark.parametrize(
    ("param", "modifier", "value", "expected"),
    [
        pytest.param(
            CODE, "in", VITALS,
            {"code.coding": {"$elemMatch": {"system": LOINC, "code": {"$in": ["29463-7", "8867-4"]}}}},
            id="in-codeable",
        ),
        pytest.param(
            CODE, "in", MIXED,
            {"$or": [
                {"code.coding": {"$elemMatch": {"system": LOINC, "code": {"$in": ["8867-4"]}}}},
                {"code.coding": {"$elemMatch": {"system": SNOMED, "code": {"$in": ["364075005"]}}}},
            ]},
            id="in-two-systems",
        ),
        pytest.param(
            COMBO, "in", VITALS,
            {"$or": [
                {"code.coding": {"$elemMatch": {"system": LOINC, "code": {"$in": ["29463-7", "8867-4"]}}}},
                {"components.code.coding": {"$elemMatch": {"system": LOINC, "code": {"$in": ["29463-7", "8867-4"]}}}},
            ]},
            id="in-two-paths",
        ),
        pytest.param(
            CODE, "not-in", VITALS,
            {"$nor": [{"code.coding": {"$elemMatch": {"system": LOINC, "code": {"$in": ["29463-7", "8867-4"]}}}}]},
            id="not-in",
        ),
        pytest.param(
            STATUS, "in", "http://hl7.org/fhir/ValueSet/condition-clinical",
            {"index.clinical-status": {"$elemMatch": {"system": CLINICAL, "code": {"$in": [
                "active", "inactive", "recurrence", "relapse", "remission", "resolved"]}}}},
            id="in-indexed",
        ),
        pytest.param(
            GENDER, "in", "http://hl7.org/fhir/ValueSet/administrative-gender",
            {"sex": {"$in": ["female", "male", "other", "unknown"]}},
            id="in-implicit-system",
        ),
        pytest.param(GENDER, "in", VITALS, NOTHING, id="in-implicit-system-other-codes"),
        pytest.param(
            BOUND, "in", "http://hl7.org/fhir/ValueSet/administrative-gender",
            {"index.gender.code": {"$in": ["female", "male", "other", "unknown"]}},
            id="in-indexed-implicit-system",
        ),
        pytest.param(
            CLASS, "below", f"{ACT_CODE}|_ActAccountCode",
            {"encounter_class.system": ACT_CODE, "encounter_class.code": {"$in": [
                "ACCTRECEIVABLE", "AE", "CASH", "CC", "DN", "DV", "MC", "PBILLACCT", "V",
                "_ActAccountCode"]}},
            id="below-coding",
        ),
        pytest.param(
            CLASS, "above", f"{ACT_CODE}|AE",
            {"encounter_class.system": ACT_CODE,
             "encounter_class.code": {"$in": ["AE", "CC", "_ActAccountCode"]}},
            id="above-coding",
        ),
        pytest.param(
            STATUS, "below", f"{CLINICAL}|inactive",
            {"index.clinical-status": {"$elemMatch": {"system": CLINICAL, "code": {"$in": [
                "inactive", "remission", "resolved"]}}}},
            id="below-indexed",
        ),
        pytest.param(
            GENDER, "below", "male", {"sex": {"$in": ["male"]}}, id="below-implicit-system-flat"
        ),
        pytest.param(CODE, "below", f"{ACT_CODE}|NO-SUCH-CODE", NOTHING, id="below-unknown-code"),
    ],
)  # fmt: skip
def test_filter(param: SearchParameter, modifier: str, value: str, expected: Clause) -> None:
    assert build(param, modifier, value) == expected


@pytest.mark.parametrize(
    ("param", "modifier", "value", "error", "diagnostics"),
    [
        pytest.param(
            CODE, "in", "http://example.org/fhir/ValueSet/nowhere", UnknownValueSet,
            "ValueSet `http://example.org/fhir/ValueSet/nowhere` is not held by this server.",
            id="in-unknown-value-set",
        ),
        pytest.param(
            CODE, "not-in", "http://hl7.org/fhir/ValueSet/observation-codes", GatewayError,
            "ValueSet `http://hl7.org/fhir/ValueSet/observation-codes` cannot be expanded here: "
            "it includes all codes of CodeSystem `http://loinc.org`, which is not held.",
            id="not-in-not-enumerable",
        ),
        pytest.param(
            CODE, "below", "http://example.org/fhir/CodeSystem/nowhere|x", UnknownCodeSystem,
            "CodeSystem `http://example.org/fhir/CodeSystem/nowhere` is not held by this server, "
            "so `:below` cannot be evaluated.",
            id="below-system-not-held",
        ),
        pytest.param(
            CODE, "below", f"{SNOMED}|404684003", UnknownCodeSystem,
            f"CodeSystem `{SNOMED}` is held here without all its codes, so `:below` cannot be "
            "evaluated.",
            id="below-snomed-not-present",
        ),
        pytest.param(
            CODE, "below", f"{SNOMED}|", InvalidSearch,
            f"Value `{SNOMED}|` is not valid for parameter `code`: `:below` needs `system|code`.",
            id="below-needs-a-code",
        ),
        pytest.param(
            CODE, "above", "AE", InvalidSearch,
            "Value `AE` is not valid for parameter `code`: `:above` needs `system|code`.",
            id="above-needs-a-system",
        ),
        pytest.param(
            CODE, "in", "", InvalidSearch, "`code:in` needs a ValueSet URL.", id="in-empty"
        ),
        pytest.param(
            IDENTIFIER, "in", VITALS, InvalidSearch,
            "Modifier `:in` is not supported for parameter `identifier`.",
            id="in-on-identifier",
        ),
    ],
)  # fmt: skip
def test_refused(
    param: SearchParameter, modifier: str, value: str, error: type[GatewayError], diagnostics: str
) -> None:
    with pytest.raises(error) as raised:
        build(param, modifier, value)
    assert raised.value.status == 400
    assert raised.value.diagnostics == diagnostics


# --- what the filters match, evaluated by mongomock over documents shaped like ours ---------

OBSERVATIONS: list[dict[str, Any]] = [
    {"_id": "o1", "code": {"coding": [{"system": LOINC, "code": "8867-4"}]}},
    {"_id": "o2", "code": {"coding": [{"system": SNOMED, "code": "8867-4"}]}},
    {"_id": "o3", "code": {"coding": [{"system": SNOMED, "code": "364075005"}]}},
    {"_id": "o4", "status": "final"},
    {"_id": "o5", "code": {"coding": [{"system": "x", "code": "y"}]},
     "components": [{"code": {"coding": [{"system": LOINC, "code": "29463-7"}]}}]},
]  # fmt: skip
ENCOUNTERS: list[dict[str, Any]] = [
    {"_id": "e1", "encounter_class": {"system": ACT_CODE, "code": "AE"}},
    {"_id": "e2", "encounter_class": {"system": ACT_CODE, "code": "CASH"}},
    {"_id": "e3", "encounter_class": {"system": ACT_CODE, "code": "AMB"}},
    {"_id": "e4", "encounter_class": {"system": "other", "code": "AE"}},
]


def matching(documents: list[dict[str, Any]], query: Clause) -> set[str]:
    collection = mongomock.MongoClient().db.c
    collection.insert_many([dict(d) for d in documents])
    return {d["_id"] for d in collection.find(query)}


@pytest.mark.parametrize(
    ("param", "modifier", "value", "expected"),
    [
        pytest.param(CODE, "in", VITALS, {"o1"}, id="in-system-and-code-together"),
        pytest.param(CODE, "in", MIXED, {"o1", "o3"}, id="in-two-systems"),
        pytest.param(COMBO, "in", VITALS, {"o1", "o5"}, id="in-component"),
        pytest.param(CODE, "not-in", VITALS, {"o2", "o3", "o4", "o5"}, id="not-in-includes-missing"),
    ],
)  # fmt: skip
def test_observations_matched(
    param: SearchParameter, modifier: str, value: str, expected: set[str]
) -> None:
    assert matching(OBSERVATIONS, build(param, modifier, value)) == expected


@pytest.mark.parametrize(
    ("value", "modifier", "expected"),
    [
        pytest.param(f"{ACT_CODE}|_ActAccountCode", "below", {"e1", "e2"}, id="below-root"),
        pytest.param(f"{ACT_CODE}|CC", "below", {"e1"}, id="below-card"),
        pytest.param(f"{ACT_CODE}|AE", "below", {"e1"}, id="below-leaf-is-itself"),
        pytest.param(f"{ACT_CODE}|AE", "above", {"e1"}, id="above-leaf"),
        pytest.param(f"{ACT_CODE}|_ActAccountCode", "above", set(), id="above-root"),
    ],
)
def test_encounters_matched(value: str, modifier: str, expected: set[str]) -> None:
    assert matching(ENCOUNTERS, build(CLASS, modifier, value)) == expected
