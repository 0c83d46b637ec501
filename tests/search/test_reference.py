"""Reference search (search.html#reference): golden filters, then what they match in mongomock."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from gateway.errors import InvalidSearch, Issue
from gateway.search.model import NOTHING, Clause, SearchParameter
from gateway.search.reference import clause, ids_clause

OBS = ("Observation",)
SUBJECT = SearchParameter("subject", "reference", OBS, ("subject",), targets=("Patient", "Group"))
PERFORMER = SearchParameter(
    "performer", "reference", OBS, ("performers[]",), targets=("Practitioner",)
)
UNTYPED = SearchParameter("focus", "reference", OBS, ("fhir_rest.focus",))
BASE = "http://test/fhir"
MRN = "urn:mrn"


@pytest.mark.parametrize(
    ("param", "modifier", "value", "base_urls", "expected"),
    [
        pytest.param(SUBJECT, None, "123", (), {"index.subject": {"$in": ["Patient/123", "Group/123"]}}, id="bare-id-every-target"),
        pytest.param(SUBJECT, "Patient", "123", (), {"index.subject": {"$in": ["Patient/123"]}}, id="type-modifier"),
        pytest.param(SUBJECT, None, "Patient/123", (), {"index.subject": "Patient/123"}, id="type-and-id"),
        pytest.param(SUBJECT, "Patient", "Patient/123", (), {"index.subject": "Patient/123"}, id="type-modifier-same-type"),
        pytest.param(SUBJECT, "Patient", "Group/1", (), NOTHING, id="type-modifier-other-type"),
        pytest.param(SUBJECT, None, "Practitioner/1", (), NOTHING, id="type-not-a-target"),
        pytest.param(SUBJECT, None, "Patient/123/_history/2", (), {"index.subject": "Patient/123"}, id="version-dropped"),
        pytest.param(SUBJECT, None, f"{BASE}/Patient/123", (BASE,), {"index.subject": {"$in": ["Patient/123", f"{BASE}/Patient/123"]}}, id="own-base-stripped"),
        pytest.param(SUBJECT, None, f"{BASE}/Patient/123", (f"{BASE}/",), {"index.subject": {"$in": ["Patient/123", f"{BASE}/Patient/123"]}}, id="own-base-trailing-slash"),
        pytest.param(SUBJECT, None, f"{BASE}/123", (BASE,), {"index.subject": {"$in": ["Patient/123", f"{BASE}/Patient/123", "Group/123", f"{BASE}/Group/123"]}}, id="own-base-bare-id"),
        pytest.param(SUBJECT, None, f"{BASE}/Patient/123", (), {"index.subject": f"{BASE}/Patient/123"}, id="absolute-not-ours"),
        pytest.param(SUBJECT, None, "http://other.org/fhir/Patient/1", (BASE,), {"index.subject": "http://other.org/fhir/Patient/1"}, id="absolute-elsewhere"),
        pytest.param(SUBJECT, None, "urn:uuid:abc", (), {"index.subject": "urn:uuid:abc"}, id="urn"),
        pytest.param(SUBJECT, None, "Patient/a_b", (), {"index.subject": "Patient/a_b"}, id="not-an-id-as-written"),
        pytest.param(SUBJECT, None, "a.*", (), {"index.subject": {"$in": ["Patient/a.*", "Group/a.*"]}}, id="regex-chars-literal"),
        pytest.param(SUBJECT, None, "a\\,b", (), {"index.subject": {"$in": ["Patient/a,b", "Group/a,b"]}}, id="unescaped"),
        pytest.param(UNTYPED, None, "1.5", (), {"index.focus": {"$regex": "^[A-Z][A-Za-z]+/1\\.5$"}}, id="no-targets-any-type"),
        pytest.param(UNTYPED, "Device", "7", (), {"index.focus": {"$in": ["Device/7"]}}, id="no-targets-type-modifier"),
        pytest.param(SUBJECT, "identifier", f"{MRN}|12345", (), {"subject.identifier.system": MRN, "subject.identifier.value": "12345"}, id="identifier"),
        pytest.param(SUBJECT, "identifier", "12345", (), {"subject.identifier.value": "12345"}, id="identifier-any-system"),
        pytest.param(SUBJECT, "identifier", "|12345", (), {"subject.identifier.system": None, "subject.identifier.value": "12345"}, id="identifier-no-system"),
        pytest.param(SUBJECT, "identifier", "sys\\|x|1\\,2", (), {"subject.identifier.system": "sys|x", "subject.identifier.value": "1,2"}, id="identifier-escaped"),
        pytest.param(
            PERFORMER, "identifier", f"{MRN}|12345", (),
            {"performers": {"$elemMatch": {"identifier.system": MRN, "identifier.value": "12345"}}},
            id="identifier-in-array",
        ),
    ],
)  # fmt: skip
def test_golden_filter(
    param: SearchParameter,
    modifier: str | None,
    value: str,
    base_urls: tuple[str, ...],
    expected: Clause,
) -> None:
    assert clause(param, modifier, value, base_urls=base_urls) == expected


def test_ids_clause() -> None:
    found = ids_clause(SUBJECT, "Patient", ["1", "2"])
    assert found == {"index.subject": {"$in": ["Patient/1", "Patient/2"]}}


@pytest.mark.parametrize(
    ("modifier", "value", "diagnostics"),
    [
        pytest.param(None, "", "Parameter `subject` needs a reference.", id="empty"),
        pytest.param("Practitioner", "1", "Parameter `subject` cannot refer to `Practitioner`.", id="type-not-a-target"),
        pytest.param("not", "1", "Modifier `:not` is not supported for parameter `subject`.", id="not"),
        pytest.param("below", "1", "Modifier `:below` is not supported for parameter `subject`.", id="below"),
        pytest.param("text", "1", "Modifier `:text` is not supported for parameter `subject`.", id="text"),
        pytest.param("patient", "1", "Modifier `:patient` is not supported for parameter `subject`.", id="lowercase-type"),
        pytest.param("identifier", "a|b|c", "Value `a|b|c` is not valid for parameter `subject`: expected `system|value`.", id="identifier-three-parts"),
        pytest.param("identifier", "|", "Value `|` is not valid for parameter `subject`: expected `system|value`.", id="identifier-empty"),
    ],
)  # fmt: skip
def test_invalid_search(modifier: str | None, value: str, diagnostics: str) -> None:
    with pytest.raises(InvalidSearch) as raised:
        clause(SUBJECT, modifier, value)
    assert raised.value.issues == [Issue(diagnostics, code="invalid", expression="subject")]


# --- what the filters match, evaluated by mongomock over documents shaped like ours ---------


def observation(id_: str, subject: dict[str, Any], *index: str) -> dict[str, Any]:
    """`index` as the indexer writes it: the reference as written, then `Type/id`."""
    return {"_id": id_, "subject": subject, "index": {"subject": list(index)} if index else {}}


OBSERVATIONS = [
    observation("o1", {"reference": "Patient/123"}, "Patient/123"),
    observation(
        "o2", {"reference": f"{BASE}/Patient/456/_history/3"},
        f"{BASE}/Patient/456/_history/3", "Patient/456",
    ),
    observation("o3", {"reference": "Group/123"}, "Group/123"),
    observation("o4", {"reference": "urn:uuid:abc"}, "urn:uuid:abc"),
    observation("o5", {"identifier": {"system": MRN, "value": "12345"}}),
    observation(
        "o6", {"reference": "http://other.org/fhir/Patient/123"},
        "http://other.org/fhir/Patient/123", "Patient/123",
    ),
    {"_id": "o7"},
    observation("o8", {"identifier": {"value": "12345"}}),
]  # fmt: skip


def matching(query: Clause) -> set[str]:
    collection = mongomock.MongoClient().db.c
    collection.insert_many([dict(d) for d in OBSERVATIONS])
    return {d["_id"] for d in collection.find(query)}


@pytest.mark.parametrize(
    ("modifier", "value", "expected"),
    [
        pytest.param(None, "123", {"o1", "o3", "o6"}, id="bare-id-any-target"),
        pytest.param("Patient", "123", {"o1", "o6"}, id="type-modifier"),
        pytest.param("Group", "123", {"o3"}, id="group"),
        pytest.param(None, "Patient/123", {"o1", "o6"}, id="relative"),
        pytest.param(None, f"{BASE}/Patient/456", {"o2"}, id="own-absolute"),
        pytest.param(None, "Patient/456/_history/9", {"o2"}, id="any-version"),
        pytest.param(None, "http://other.org/fhir/Patient/123", {"o6"}, id="foreign-absolute"),
        pytest.param(None, "urn:uuid:abc", {"o4"}, id="urn"),
        pytest.param(None, "Practitioner/123", set(), id="not-a-target"),
        pytest.param("identifier", f"{MRN}|12345", {"o5"}, id="identifier"),
        pytest.param("identifier", "12345", {"o5", "o8"}, id="identifier-any-system"),
        pytest.param("identifier", "|12345", {"o8"}, id="identifier-no-system"),
        pytest.param(None, ".*", set(), id="dot-star-literal"),
        pytest.param(None, "Patient/.*", set(), id="typed-dot-star-literal"),
        pytest.param(None, '{"$gt": ""}', set(), id="json-operator-literal"),
    ],
)  # fmt: skip
def test_observations_matched(modifier: str | None, value: str, expected: set[str]) -> None:
    assert matching(clause(SUBJECT, modifier, value, base_urls=(BASE,))) == expected


def test_untyped_bare_id_is_literal() -> None:
    documents = [
        {"_id": "a", "index": {"focus": ["Device/1.5"]}},
        {"_id": "b", "index": {"focus": ["Device/105"]}},
        {"_id": "c", "index": {"focus": ["x/Device/1.5"]}},
    ]
    collection = mongomock.MongoClient().db.c
    collection.insert_many(documents)
    found = {d["_id"] for d in collection.find(clause(UNTYPED, None, "1.5"))}
    assert found == {"a"}


def test_ids_clause_matches() -> None:
    query = ids_clause(SUBJECT, "Patient", ["123", "456"])
    assert matching(query) == {"o1", "o2", "o6"}
