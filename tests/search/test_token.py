"""Token search (search.html#token): golden MongoDB filters, then what they match in mongomock."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from gateway.errors import InvalidSearch, Issue
from gateway.search.model import NOTHING, Clause, SearchParameter
from gateway.search.normalise import starts_with_pattern
from gateway.search.paths import any_of
from gateway.search.token import clause, codes_by_system

OBS = ("Observation",)
PAT = ("Patient",)
CODE = SearchParameter("code", "token", OBS, ("code.coding[]",), kind="codeable")
COMBO = SearchParameter(
    "combo-code", "token", OBS, ("code.coding[]", "components.code.coding[]"), kind="codeable"
)
CLASS = SearchParameter("class", "token", ("Encounter",), ("encounter_class",), kind="coding")
TAG = SearchParameter("_tag", "token", OBS, ("fhir_rest.meta.tag[]",), kind="coding")
IDENTIFIER = SearchParameter("identifier", "token", PAT, ("identifiers[]",), kind="identifier")
TELECOM = SearchParameter("telecom", "token", PAT, ("telecom[]",), kind="contact")
PHONE = SearchParameter(
    "phone", "token", PAT, ("telecom[]",), kind="contact", contact_system="phone"
)
EMAIL = SearchParameter(
    "email", "token", PAT, ("telecom[]",), kind="contact", contact_system="email"
)
GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"
GENDER = SearchParameter("gender", "token", PAT, ("sex",), kind="code", system=GENDER_SYSTEM)
UNBOUND = SearchParameter("status", "token", OBS, ("status",), kind="code")
ACTIVE = SearchParameter("active", "token", PAT, ("active",), kind="boolean")
ID = SearchParameter("_id", "token", PAT, ("_id",), kind="id")
LOINC = "http://loinc.org"
V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def text_regex(text: str) -> dict[str, str]:
    """`:text` compares as string search does: the pattern normalise.starts_with_pattern makes."""
    return {"$regex": starts_with_pattern(text), "$options": "i"}


@pytest.mark.parametrize(
    ("param", "modifier", "value", "expected"),
    [
        # CodeableConcept: the four forms of search.html#token
        pytest.param(CODE, None, "1234-5", {"code.coding.code": "1234-5"}, id="codeable-code"),
        pytest.param(
            CODE, None, f"{LOINC}|1234-5",
            {"code.coding": {"$elemMatch": {"system": LOINC, "code": "1234-5"}}},
            id="codeable-system-code",
        ),
        pytest.param(
            CODE, None, "|1234-5",
            {"code.coding": {"$elemMatch": {"system": None, "code": "1234-5"}}},
            id="codeable-no-system",
        ),
        pytest.param(CODE, None, f"{LOINC}|", {"code.coding.system": LOINC}, id="codeable-system-only"),
        pytest.param(
            CODE, None, "sys\\|tem|co\\,de",
            {"code.coding": {"$elemMatch": {"system": "sys|tem", "code": "co,de"}}},
            id="codeable-escaped",
        ),
        pytest.param(
            COMBO, None, "1234-5",
            {"$or": [{"code.coding.code": "1234-5"}, {"components.code.coding.code": "1234-5"}]},
            id="codeable-two-paths",
        ),
        pytest.param(
            CODE, "not", f"{LOINC}|1234-5",
            {"$nor": [{"code.coding": {"$elemMatch": {"system": LOINC, "code": "1234-5"}}}]},
            id="codeable-not",
        ),
        pytest.param(
            CODE, "text", "Gluc",
            {"$or": [{"code.text": text_regex("Gluc")}, {"code.coding.display": text_regex("Gluc")}]},
            id="codeable-text",
        ),
        pytest.param(
            CODE, "text", "a.*b\\,c",
            {"$or": [{"code.text": text_regex("a.*b,c")},
                     {"code.coding.display": text_regex("a.*b,c")}]},
            id="codeable-text-escaped-regex",
        ),
        pytest.param(
            CODE, None, '{"$gt": ""}', {"code.coding.code": '{"$gt": ""}'}, id="codeable-json-literal"
        ),
        # Coding: a single object or an array of them
        pytest.param(CLASS, None, "IMP", {"encounter_class.code": "IMP"}, id="coding-code"),
        pytest.param(
            CLASS, None, "sys|IMP",
            {"encounter_class.system": "sys", "encounter_class.code": "IMP"},
            id="coding-object-system-code",
        ),
        pytest.param(
            TAG, None, "sys|draft",
            {"fhir_rest.meta.tag": {"$elemMatch": {"system": "sys", "code": "draft"}}},
            id="coding-array-system-code",
        ),
        pytest.param(
            TAG, "text", "Draft", {"fhir_rest.meta.tag.display": text_regex("Draft")},
            id="coding-text",
        ),
        # Identifier: system and value; :of-type; :text on type.text
        pytest.param(IDENTIFIER, None, "12345", {"identifiers.value": "12345"}, id="identifier-value"),
        pytest.param(
            IDENTIFIER, None, "urn:mrn|12345",
            {"identifiers": {"$elemMatch": {"system": "urn:mrn", "value": "12345"}}},
            id="identifier-system-value",
        ),
        pytest.param(
            IDENTIFIER, "of-type", f"{V2}|MR|12345",
            {"identifiers": {"$elemMatch": {
                "type.coding": {"$elemMatch": {"system": V2, "code": "MR"}}, "value": "12345"}}},
            id="identifier-of-type",
        ),
        pytest.param(
            IDENTIFIER, "text", "Medical", {"identifiers.type.text": text_regex("Medical")},
            id="identifier-text",
        ),
        # ContactPoint: value, `use` in the system part, the parameter's ContactPoint.system
        pytest.param(TELECOM, None, "555-1234", {"telecom.value": "555-1234"}, id="contact-value"),
        pytest.param(
            TELECOM, None, "home|555-1234",
            {"telecom": {"$elemMatch": {"use": "home", "value": "555-1234"}}},
            id="contact-use-value",
        ),
        pytest.param(
            PHONE, None, "555-1234",
            {"telecom": {"$elemMatch": {"value": "555-1234", "system": "phone"}}},
            id="contact-phone",
        ),
        pytest.param(
            PHONE, None, "home|",
            {"telecom": {"$elemMatch": {"use": "home", "system": "phone"}}},
            id="contact-phone-use-only",
        ),
        # code: implicit system
        pytest.param(GENDER, None, "female", {"sex": "female"}, id="code"),
        pytest.param(GENDER, None, f"{GENDER_SYSTEM}|female", {"sex": "female"}, id="code-own-system"),
        pytest.param(GENDER, None, "http://other|female", NOTHING, id="code-other-system"),
        pytest.param(GENDER, None, "|female", NOTHING, id="code-no-system-bound"),
        pytest.param(GENDER, None, f"{GENDER_SYSTEM}|", {"sex": {"$ne": None}}, id="code-system-only"),
        pytest.param(UNBOUND, None, "|final", {"status": "final"}, id="code-no-system-unbound"),
        pytest.param(UNBOUND, None, "sys|final", NOTHING, id="code-any-system-unbound"),
        pytest.param(GENDER, "not", "female", {"$nor": [{"sex": "female"}]}, id="code-not"),
        pytest.param(GENDER, "not", "http://other|female", {"$nor": [NOTHING]}, id="code-not-nothing"),
        # boolean and id
        pytest.param(ACTIVE, None, "true", {"active": True}, id="boolean-true"),
        pytest.param(ACTIVE, None, "false", {"active": False}, id="boolean-false"),
        pytest.param(ACTIVE, "not", "true", {"$nor": [{"active": True}]}, id="boolean-not"),
        pytest.param(ID, None, "p1", {"_id": "p1"}, id="id"),
        pytest.param(ID, "not", "p1", {"$nor": [{"_id": "p1"}]}, id="id-not"),
    ],
)  # fmt: skip
def test_golden_filter(
    param: SearchParameter, modifier: str | None, value: str, expected: Clause
) -> None:
    assert clause(param, modifier, value) == expected


def test_paths_override_the_parameters_paths() -> None:
    found = clause(CODE, None, "x", paths=("components[].code.coding[]",))
    assert found == {"components.code.coding.code": "x"}


@pytest.mark.parametrize(
    ("param", "modifier", "value", "diagnostics"),
    [
        pytest.param(CODE, "exact", "x", "Modifier `:exact` is not supported for parameter `code`.", id="exact"),
        pytest.param(CODE, "of-type", "a|b|c", "Modifier `:of-type` is not supported for parameter `code`.", id="of-type-on-codeable"),
        pytest.param(GENDER, "text", "fem", "Modifier `:text` is not supported for parameter `gender`.", id="text-on-code"),
        pytest.param(PHONE, "text", "555", "Modifier `:text` is not supported for parameter `phone`.", id="text-on-contact"),
        pytest.param(ACTIVE, None, "yes", "Value `yes` is not valid for parameter `active`: expected `true` or `false`.", id="boolean-word"),
        pytest.param(ACTIVE, None, "True", "Value `True` is not valid for parameter `active`: expected `true` or `false`.", id="boolean-case"),
        pytest.param(ACTIVE, "not", "1", "Value `1` is not valid for parameter `active`: expected `true` or `false`.", id="boolean-not"),
        pytest.param(CODE, None, "a|b|c", "Value `a|b|c` is not valid for parameter `code`: a `|` inside a system or code must be escaped as `\\|`.", id="three-parts"),
        pytest.param(CODE, None, "|", "Value `|` is not valid for parameter `code`: a code or a system is needed.", id="bar-only"),
        pytest.param(CODE, "text", " ", "Value ` ` is not valid for parameter `code`: `:text` needs some text.", id="text-blank"),
        pytest.param(IDENTIFIER, "of-type", f"{V2}|MR", f"Value `{V2}|MR` is not valid for parameter `identifier`: `:of-type` needs `system|code|value`.", id="of-type-two-parts"),
        pytest.param(IDENTIFIER, "of-type", f"{V2}||1", f"Value `{V2}||1` is not valid for parameter `identifier`: `:of-type` needs `system|code|value`.", id="of-type-empty-part"),
    ],
)  # fmt: skip
def test_invalid_search(
    param: SearchParameter, modifier: str | None, value: str, diagnostics: str
) -> None:
    with pytest.raises(InvalidSearch) as raised:
        clause(param, modifier, value)
    assert raised.value.status == 400
    assert raised.value.issues == [Issue(diagnostics, code="invalid", expression=param.code)]


# --- what the filters match, evaluated by mongomock over documents shaped like ours ---------

OBSERVATIONS: list[dict[str, Any]] = [
    {"_id": "o1", "code": {"coding": [{"system": LOINC, "code": "1234-5", "display": "Glucose"}],
                           "text": "Blood glucose"}},
    {"_id": "o2", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1234-5"},
                                      {"code": "abc", "display": "Ärztlicher Befund"}]}},
    {"_id": "o3", "code": {"coding": [{"system": "sys|tem", "code": "co,de", "display": "Weird"}]}},
    {"_id": "o4", "status": "final"},
    {"_id": "o5", "code": {"coding": [{"system": "x", "code": ".*", "display": "$where"}],
                           "text": "a.*b"}},
    {"_id": "o6", "code": {"coding": [{"system": "x", "code": "A\\B"}]},
     "components": [{"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}}]},
]  # fmt: skip
PATIENTS: list[dict[str, Any]] = [
    {"_id": "p1", "sex": "female", "active": True,
     "telecom": [{"system": "phone", "value": "555-1234", "use": "home"},
                 {"system": "email", "value": "ana@example.org", "use": "work"}],
     "identifiers": [{"system": "urn:mrn", "value": "12345",
                      "type": {"coding": [{"system": V2, "code": "MR"}],
                               "text": "Medical record number"}}]},
    {"_id": "p2", "sex": "male", "active": False,
     "telecom": [{"system": "email", "value": "555-1234"}],
     "identifiers": [{"system": "urn:ssn", "value": "12345"},
                     {"value": "999", "type": {"coding": [{"system": V2, "code": "MR"}]}}]},
    {"_id": "p3"},
]  # fmt: skip


def matching(documents: list[dict[str, Any]], query: Clause) -> set[str]:
    collection = mongomock.MongoClient().db.c
    collection.insert_many([dict(d) for d in documents])
    return {d["_id"] for d in collection.find(query)}


@pytest.mark.parametrize(
    ("param", "modifier", "value", "expected"),
    [
        pytest.param(CODE, None, "1234-5", {"o1", "o2"}, id="code-any-system"),
        pytest.param(CODE, None, f"{LOINC}|1234-5", {"o1"}, id="system-and-code"),
        pytest.param(CODE, None, "|abc", {"o2"}, id="coding-without-system"),
        pytest.param(CODE, None, "|1234-5", set(), id="no-system-but-all-have-one"),
        pytest.param(CODE, None, "http://snomed.info/sct|", {"o2"}, id="any-code-of-system"),
        pytest.param(CODE, None, "http://snomed.info/sct|abc", set(), id="system-and-code-on-one-coding"),
        pytest.param(CODE, "not", f"{LOINC}|1234-5", {"o2", "o3", "o4", "o5", "o6"}, id="not-includes-missing"),
        pytest.param(CODE, "not", "1234-5", {"o3", "o4", "o5", "o6"}, id="not-code"),
        pytest.param(CODE, None, "sys\\|tem|co\\,de", {"o3"}, id="escaped-bar-and-comma"),
        pytest.param(CODE, None, "A\\\\B", {"o6"}, id="escaped-backslash"),
        pytest.param(COMBO, None, f"{LOINC}|8480-6", {"o6"}, id="component-path"),
        pytest.param(CODE, "text", "blood", {"o1"}, id="text-concept-text"),
        pytest.param(CODE, "text", "GLUC", {"o1"}, id="text-display-case-insensitive"),
        pytest.param(CODE, "text", "ärztlicher", {"o2"}, id="text-display-unicode-case"),
        pytest.param(CODE, "text", "ARZTL", {"o2"}, id="text-accent-blind"),
        pytest.param(CODE, "text", "  blood   gl", {"o1"}, id="text-spacing-blind"),
        pytest.param(CODE, "text", "glucose ", {"o1"}, id="text-trailing-space"),
        pytest.param(CODE, "text", "cose", set(), id="text-is-starts-with"),
        pytest.param(CODE, None, ".*", {"o5"}, id="regex-chars-literal-in-code"),
        pytest.param(CODE, "text", ".*", set(), id="regex-chars-literal-in-text"),
        pytest.param(CODE, "text", "a.*", {"o5"}, id="regex-chars-matched-literally"),
        pytest.param(CODE, "text", "$where", {"o5"}, id="operator-text-literal"),
        pytest.param(CODE, None, '{"$gt": ""}', set(), id="json-operator-literal"),
        pytest.param(CODE, None, "$where", set(), id="where-literal"),
    ],
)  # fmt: skip
def test_observations_matched(
    param: SearchParameter, modifier: str | None, value: str, expected: set[str]
) -> None:
    assert matching(OBSERVATIONS, clause(param, modifier, value)) == expected


@pytest.mark.parametrize(
    ("param", "modifier", "value", "expected"),
    [
        pytest.param(TELECOM, None, "555-1234", {"p1", "p2"}, id="telecom-any-system"),
        pytest.param(PHONE, None, "555-1234", {"p1"}, id="phone-only-phone-points"),
        pytest.param(EMAIL, None, "555-1234", {"p2"}, id="email-only-email-points"),
        pytest.param(EMAIL, None, "ana@example.org", {"p1"}, id="email"),
        pytest.param(TELECOM, None, "home|555-1234", {"p1"}, id="telecom-use"),
        pytest.param(TELECOM, None, "work|555-1234", set(), id="telecom-use-on-same-point"),
        pytest.param(PHONE, "not", "555-1234", {"p2", "p3"}, id="phone-not"),
        pytest.param(GENDER, None, "female", {"p1"}, id="gender"),
        pytest.param(GENDER, None, f"{GENDER_SYSTEM}|male", {"p2"}, id="gender-system"),
        pytest.param(GENDER, None, f"{GENDER_SYSTEM}|", {"p1", "p2"}, id="gender-any"),
        pytest.param(GENDER, "not", "female", {"p2", "p3"}, id="gender-not-includes-missing"),
        pytest.param(GENDER, "not", "|female", {"p1", "p2", "p3"}, id="gender-not-nothing"),
        pytest.param(ACTIVE, None, "true", {"p1"}, id="active"),
        pytest.param(ACTIVE, None, "false", {"p2"}, id="inactive"),
        pytest.param(ACTIVE, "not", "true", {"p2", "p3"}, id="active-not-includes-missing"),
        pytest.param(IDENTIFIER, None, "12345", {"p1", "p2"}, id="identifier-value"),
        pytest.param(IDENTIFIER, None, "urn:mrn|12345", {"p1"}, id="identifier-system"),
        pytest.param(IDENTIFIER, "of-type", f"{V2}|MR|12345", {"p1"}, id="of-type-same-identifier"),
        pytest.param(IDENTIFIER, "of-type", f"{V2}|MR|999", {"p2"}, id="of-type-other"),
        pytest.param(IDENTIFIER, "text", "medical", {"p1"}, id="identifier-text"),
        pytest.param(ID, None, "p1", {"p1"}, id="id"),
        pytest.param(ID, "not", "p1", {"p2", "p3"}, id="id-not"),
        pytest.param(ID, None, "p.*", set(), id="id-literal"),
    ],
)  # fmt: skip
def test_patients_matched(
    param: SearchParameter, modifier: str | None, value: str, expected: set[str]
) -> None:
    assert matching(PATIENTS, clause(param, modifier, value)) == expected


# --- many codes at once: codes_by_system matches as the OR of the single values does -------

INDEXED_IDENTIFIER = SearchParameter(
    "identifier", "token", ("Coverage",), ("index.identifier[]",), kind="indexed", indexed=True
)
ODD = [{"_id": "p4", "identifiers": [{"system": "urn:mrn", "value": "1,2|3\\"}]}]


def test_codes_by_system_is_one_in_per_system_after_the_systems() -> None:
    assert codes_by_system(IDENTIFIER, {"urn:mrn": ["1", "2"]}) == {
        "identifiers": {"$elemMatch": {"system": "urn:mrn", "value": {"$in": ["1", "2"]}}}
    }
    assert codes_by_system(INDEXED_IDENTIFIER, {"a": ["1"], "b": ["2", "3"]}) == {
        "$and": [
            {"index.identifier.system": {"$in": ["a", "b"]}},
            {"$or": [
                {"index.identifier": {"$elemMatch": {"system": "a", "code": {"$in": ["1"]}}}},
                {"index.identifier": {"$elemMatch": {"system": "b", "code": {"$in": ["2", "3"]}}}},
            ]},
        ]
    }  # fmt: skip
    assert codes_by_system(IDENTIFIER, {}) == NOTHING


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        pytest.param({"urn:mrn": ["12345"]}, {"p1"}, id="one"),
        pytest.param({"urn:mrn": ["12345", "x"], "urn:ssn": ["12345"]}, {"p1", "p2"}, id="two-systems"),
        pytest.param({"urn:ssn": ["999"]}, set(), id="system-and-value-on-one-identifier"),
        pytest.param({"urn:x": ["12345"]}, set(), id="other-system"),
        pytest.param({"urn:mrn": ["1,2|3\\"]}, {"p4"}, id="taken-as-they-are"),
    ],
)  # fmt: skip
def test_codes_by_system_match_as_the_single_values(
    codes: dict[str, list[str]], expected: set[str]
) -> None:
    documents = PATIENTS + ODD
    found = matching(documents, codes_by_system(IDENTIFIER, codes))
    escaped = {s: [c.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|") for c in cs]
               for s, cs in codes.items()}  # fmt: skip
    single = any_of([clause(IDENTIFIER, None, f"{s}|{c}") for s, cs in escaped.items() for c in cs])
    assert found == matching(documents, single) == expected


@pytest.mark.parametrize("param", [GENDER, TELECOM, ACTIVE, ID], ids=lambda p: p.code)
def test_codes_by_system_needs_a_system_beside_the_code(param: SearchParameter) -> None:
    with pytest.raises(ValueError, match="keeps no system beside its codes"):
        codes_by_system(param, {"s": ["c"]})
