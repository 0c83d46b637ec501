"""URI search (search.html#uri): golden MongoDB filters, then what they match in mongomock."""

from __future__ import annotations

import mongomock
import pytest

from gateway.errors import InvalidSearch, Issue
from gateway.search.model import Clause, SearchParameter
from gateway.search.uri import clause, prefixes

URL = SearchParameter("url", "uri", ("ValueSet",), ("url",))
PROFILE = SearchParameter("_profile", "uri", ("Patient",), ("fhir_rest.meta.profile", "profiles"))
VS = "http://acme.org/fhir/ValueSet/123"


@pytest.mark.parametrize(
    ("param", "modifier", "value", "expected"),
    [
        pytest.param(URL, None, VS, {"url": VS}, id="exact"),
        pytest.param(URL, None, "urn:oid:1.2\\,3", {"url": "urn:oid:1.2,3"}, id="unescaped"),
        pytest.param(
            PROFILE, None, VS, {"$or": [{"fhir_rest.meta.profile": VS}, {"profiles": VS}]},
            id="every-path",
        ),
        pytest.param(URL, "below", "http://acme.org/fhir/", {"url": {"$regex": "^http://acme\\.org/fhir/"}}, id="below"),
        pytest.param(URL, "below", "http://a.org/(x)*", {"url": {"$regex": "^http://a\\.org/\\(x\\)\\*"}}, id="below-escaped"),
        pytest.param(
            URL, "above", f"{VS}/_history/5",
            {"url": {"$in": [
                "http://acme.org", "http://acme.org/",
                "http://acme.org/fhir", "http://acme.org/fhir/",
                "http://acme.org/fhir/ValueSet", "http://acme.org/fhir/ValueSet/",
                VS, f"{VS}/",
                f"{VS}/_history", f"{VS}/_history/",
                f"{VS}/_history/5",
            ]}},
            id="above",
        ),
        pytest.param(URL, "above", "urn:oid:1.2.3", {"url": {"$in": ["urn:oid:1.2.3"]}}, id="above-urn"),
    ],
)  # fmt: skip
def test_golden_filter(
    param: SearchParameter, modifier: str | None, value: str, expected: Clause
) -> None:
    assert clause(param, modifier, value) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        pytest.param("http://acme.org", ["http://acme.org"], id="authority-only"),
        pytest.param("http://acme.org/", ["http://acme.org", "http://acme.org/"], id="trailing-slash"),
        pytest.param("http://acme.org/a", ["http://acme.org", "http://acme.org/", "http://acme.org/a"], id="one-segment"),
        pytest.param("urn:uuid:1", ["urn:uuid:1"], id="urn"),
        pytest.param("/", ["/"], id="slash-only"),
    ],
)  # fmt: skip
def test_prefixes(uri: str, expected: list[str]) -> None:
    assert prefixes(uri) == expected


@pytest.mark.parametrize(
    ("modifier", "value", "diagnostics"),
    [
        pytest.param(None, "", "Parameter `url` needs a URI.", id="empty"),
        pytest.param("below", "", "Parameter `url` needs a URI.", id="below-empty"),
        pytest.param("contains", "x", "Modifier `:contains` is not supported for parameter `url`.", id="contains"),
        pytest.param("exact", "x", "Modifier `:exact` is not supported for parameter `url`.", id="exact"),
        pytest.param("not", "x", "Modifier `:not` is not supported for parameter `url`.", id="not"),
    ],
)  # fmt: skip
def test_invalid_search(modifier: str | None, value: str, diagnostics: str) -> None:
    with pytest.raises(InvalidSearch) as raised:
        clause(URL, modifier, value)
    assert raised.value.issues == [Issue(diagnostics, code="invalid", expression="url")]


# --- what the filters match, evaluated by mongomock over documents shaped like ours ---------

VALUE_SETS = [
    {"_id": "v1", "url": VS},
    {"_id": "v2", "url": "http://acme.org/fhir/ValueSet/1234"},
    {"_id": "v3", "url": "http://acme.org/fhir"},
    {"_id": "v4", "url": "http://acme.org/fhir/"},
    {"_id": "v5", "url": "http://acme.org/fhirx/ValueSet/123"},
    {"_id": "v6", "url": "urn:oid:1.2.3"},
    {"_id": "v7", "url": "http://ACME.org/fhir/ValueSet/123"},
    {"_id": "v8", "url": f"{VS}/_history/5"},
    {"_id": "v9"},
    {"_id": "v10", "url": "http://acmeXorg/fhir/ValueSet/1"},
]


def matching(query: Clause) -> set[str]:
    collection = mongomock.MongoClient().db.c
    collection.insert_many([dict(d) for d in VALUE_SETS])
    return {d["_id"] for d in collection.find(query)}


@pytest.mark.parametrize(
    ("modifier", "value", "expected"),
    [
        pytest.param(None, VS, {"v1"}, id="exact"),
        pytest.param(None, "http://ACME.org/fhir/ValueSet/123", {"v7"}, id="exact-case-sensitive"),
        pytest.param(None, "urn:oid:1.2.3", {"v6"}, id="urn"),
        pytest.param("below", "http://acme.org/fhir/", {"v1", "v2", "v4", "v8"}, id="below-folder"),
        pytest.param("below", VS, {"v1", "v2", "v8"}, id="below-is-string-prefix"),
        pytest.param("below", "http://acme.org", {"v1", "v2", "v3", "v4", "v5", "v8"}, id="below-dot-literal"),
        pytest.param("below", "http://acme.org/fhir/.*", set(), id="below-dot-star-literal"),
        pytest.param("above", f"{VS}/_history/5", {"v1", "v3", "v4", "v8"}, id="above"),
        pytest.param("above", VS, {"v1", "v3", "v4"}, id="above-not-longer"),
        pytest.param("above", "urn:oid:1.2.3", {"v6"}, id="above-urn"),
        pytest.param(None, '{"$gt": ""}', set(), id="json-operator-literal"),
    ],
)  # fmt: skip
def test_value_sets_matched(modifier: str | None, value: str, expected: set[str]) -> None:
    assert matching(clause(URL, modifier, value)) == expected
