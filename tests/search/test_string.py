"""String search (search.html#string): golden MongoDB filters, then what they match in mongomock."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from gateway.errors import InvalidSearch, Issue
from gateway.search.model import Clause, SearchParameter
from gateway.search.normalise import normalise
from gateway.search.string import clause

PAT = ("Patient",)
NAME = SearchParameter("name", "string", PAT, ("names.family", "names.given"))
FAMILY = SearchParameter("family", "string", PAT, ("names.family",))


@pytest.mark.parametrize(
    ("param", "modifier", "value", "expected"),
    [
        pytest.param(NAME, None, "Mül", {"index.name": {"$regex": "^mul"}}, id="starts-with-normalised"),
        pytest.param(NAME, None, "  Ana \t Ri ", {"index.name": {"$regex": "^ana\\ ri"}}, id="whitespace"),
        pytest.param(NAME, "contains", "VER", {"index.name": {"$regex": "ver"}}, id="contains"),
        pytest.param(NAME, None, ".*", {"index.name": {"$regex": "^\\.\\*"}}, id="regex-escaped"),
        pytest.param(NAME, "contains", "(a|b)+", {"index.name": {"$regex": "\\(a\\|b\\)\\+"}}, id="contains-escaped"),
        pytest.param(NAME, None, "a\\,b", {"index.name": {"$regex": "^a,b"}}, id="search-escape"),
        pytest.param(
            NAME, "exact", "Müller",
            {"$or": [{"names.family": "Müller"}, {"names.given": "Müller"}]},
            id="exact-every-path",
        ),
        pytest.param(FAMILY, "exact", "Müller", {"names.family": "Müller"}, id="exact-one-path"),
        pytest.param(FAMILY, "exact", "a\\,b", {"names.family": "a,b"}, id="exact-unescaped"),
        pytest.param(FAMILY, "exact", " x ", {"names.family": " x "}, id="exact-keeps-spaces"),
        pytest.param(FAMILY, "exact", '{"$gt": ""}', {"names.family": '{"$gt": ""}'}, id="exact-literal"),
    ],
)  # fmt: skip
def test_golden_filter(
    param: SearchParameter, modifier: str | None, value: str, expected: Clause
) -> None:
    assert clause(param, modifier, value) == expected


@pytest.mark.parametrize(
    ("modifier", "value", "diagnostics"),
    [
        pytest.param(None, "", "Parameter `name` needs a value with some text.", id="empty"),
        pytest.param(None, " \t", "Parameter `name` needs a value with some text.", id="blank"),
        pytest.param("contains", "", "Parameter `name` needs a value with some text.", id="contains-empty"),
        pytest.param("exact", "", "Parameter `name` needs a value with some text.", id="exact-empty"),
        pytest.param("text", "x", "Modifier `:text` is not supported for parameter `name`.", id="text"),
        pytest.param("not", "x", "Modifier `:not` is not supported for parameter `name`.", id="not"),
        pytest.param("below", "x", "Modifier `:below` is not supported for parameter `name`.", id="below"),
    ],
)  # fmt: skip
def test_invalid_search(modifier: str | None, value: str, diagnostics: str) -> None:
    with pytest.raises(InvalidSearch) as raised:
        clause(NAME, modifier, value)
    assert raised.value.issues == [Issue(diagnostics, code="invalid", expression="name")]


# --- what the filters match, evaluated by mongomock over documents shaped like ours ---------


def patient(id_: str, family: str, *given: str) -> dict[str, Any]:
    """A stored Patient with the `index.name` the indexer computes: normalised name parts."""
    return {
        "_id": id_,
        "names": [{"family": family, "given": list(given)}],
        "index": {"name": [normalise(part) for part in (family, *given)]},
    }


PATIENTS = [
    patient("p1", "Müller", "Ana", "María"),
    patient("p2", "Rivera", "José"),
    patient("p3", "a.*b", "$where"),
    patient("p4", "MULLER"),
    patient("p5", "van der Berg"),
    {"_id": "p6"},
]


def matching(query: Clause) -> set[str]:
    collection = mongomock.MongoClient().db.c
    collection.insert_many([dict(d) for d in PATIENTS])
    return {d["_id"] for d in collection.find(query)}


@pytest.mark.parametrize(
    ("modifier", "value", "expected"),
    [
        pytest.param(None, "muller", {"p1", "p4"}, id="accent-insensitive"),
        pytest.param(None, "Müller", {"p1", "p4"}, id="accented-value"),
        pytest.param(None, "MÜL", {"p1", "p4"}, id="case-insensitive-prefix"),
        pytest.param(None, "ller", set(), id="default-is-starts-with"),
        pytest.param("contains", "ller", {"p1", "p4"}, id="contains"),
        pytest.param("contains", "LLÉR", {"p1", "p4"}, id="contains-normalised"),
        pytest.param("exact", "Müller", {"p1"}, id="exact-case-and-accents"),
        pytest.param("exact", "muller", set(), id="exact-not-normalised"),
        pytest.param("exact", "MULLER", {"p4"}, id="exact-upper"),
        pytest.param("exact", "Mül", set(), id="exact-whole-string"),
        pytest.param(None, "jose", {"p2"}, id="given"),
        pytest.param(None, "maria", {"p1"}, id="second-given"),
        pytest.param(None, "van  der", {"p5"}, id="whitespace-collapsed"),
        pytest.param(None, ".*", set(), id="dot-star-literal"),
        pytest.param("contains", ".*", {"p3"}, id="dot-star-contains-literal"),
        pytest.param(None, "a.*", {"p3"}, id="dot-star-matched-literally"),
        pytest.param(None, "$where", {"p3"}, id="where-literal"),
        pytest.param(None, '{"$gt": ""}', set(), id="json-operator-literal"),
        pytest.param("contains", "|", set(), id="alternation-literal"),
        pytest.param(None, "[a-z]", set(), id="class-literal"),
        pytest.param("exact", "a.*b", {"p3"}, id="exact-literal"),
    ],
)  # fmt: skip
def test_patients_matched(modifier: str | None, value: str, expected: set[str]) -> None:
    assert matching(clause(NAME, modifier, value)) == expected
