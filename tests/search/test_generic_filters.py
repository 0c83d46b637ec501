"""Golden filters of the types kept whole: the exact MongoDB filter each parameter type gives
on the write-time values (`index.<code>`, `exact.<code>`), through the one clause module per
parameter type our four types use too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from gateway.errors import InvalidSearch
from gateway.search.filters import build_filter
from gateway.search.model import NOTHING
from gateway.search.normalise import starts_with_pattern
from tests.search.test_filters import FakeResolver, p

SNOMED = "http://snomed.info/sct"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
BASE = ("http://test/fhir",)


def _range(start: datetime, end: datetime) -> dict[str, Any]:
    """`eq` on a stored range: the search range contains it."""
    return {"start": {"$gte": start}, "end": {"$lte": end}}


GOLDEN = [
    # token: entries {system, code, display, type}
    pytest.param("Condition", "clinical-status", "active",
                 {"index.clinical-status.code": "active"}, id="condition-token-code"),
    pytest.param("Condition", "clinical-status", f"{CLINICAL}|active",
                 {"index.clinical-status": {"$elemMatch": {"system": CLINICAL, "code": "active"}}},
                 id="condition-token-system-and-code"),
    pytest.param("Condition", "code", "|44054006",
                 {"index.code": {"$elemMatch": {"system": None, "code": "44054006"}}},
                 id="token-without-system"),
    pytest.param("Condition", "code:text", "diab",
                 {"index.code.display": {"$regex": starts_with_pattern("diab"), "$options": "i"}}, id="token-text"),
    pytest.param("Condition", "code:not", "1,2",
                 {"$nor": [{"index.code.code": "1"}, {"index.code.code": "2"}]}, id="token-not"),
    pytest.param("Organization", "identifier:of-type", "urn:t|MR|42",
                 {"index.identifier": {"$elemMatch": {
                     "type": {"$elemMatch": {"system": "urn:t", "code": "MR"}}, "code": "42"}}},
                 id="identifier-of-type"),
    pytest.param("Practitioner", "active", "true", {"index.active.code": "true"},
                 id="boolean"),
    # string: normalised index, exact as written
    pytest.param("Practitioner", "name", "Müller", {"index.name": {"$regex": "^muller"}},
                 id="practitioner-string"),
    pytest.param("Practitioner", "name:contains", "ul", {"index.name": {"$regex": "ul"}},
                 id="string-contains"),
    pytest.param("Practitioner", "name:exact", "Müller", {"exact.name": "Müller"},
                 id="string-exact"),
    # date: a single range stored bare, several as a list
    pytest.param("MedicationRequest", "authoredon", "ge2024-01-01",
                 {"$or": [{"index.authoredon.end": {"$gt": datetime(2024, 1, 2)}},
                          {"index.authoredon.start": {"$gte": datetime(2024, 1, 1)},
                           "index.authoredon.end": {"$lte": datetime(2024, 1, 2)}}]},
                 id="single-date-ge"),
    pytest.param("Condition", "onset-date", "2019",
                 {"index.onset-date": {"$elemMatch": _range(datetime(2019, 1, 1),
                                                            datetime(2020, 1, 1))}},
                 id="date-list-eq"),
    # reference: Type/id, bare ids for each target, chains resolved to ids
    pytest.param("Condition", "patient", "p1",
                 {"index.patient": {"$in": ["Patient/p1", "http://test/fhir/Patient/p1"]}},
                 id="reference-bare-id"),
    pytest.param("Provenance", "target", "Condition/c1",
                 {"index.target": {"$in": ["Condition/c1", "http://test/fhir/Condition/c1"]}},
                 id="reference-typed"),
    pytest.param("Condition", "patient", "Group/g1", NOTHING, id="reference-outside-targets"),
    # quantity, number, uri
    pytest.param("Condition", "abatement-age", "gt5|urn:ages|a",
                 {"index.abatement-age": {"$elemMatch": {
                     "value": {"$gt": 5.0}, "system": "urn:ages", "code": "a"}}},
                 id="quantity"),
    pytest.param("RiskAssessment", "probability", "lt0.5",
                 {"index.probability": {"$elemMatch": {"$lt": 0.5}}}, id="number"),
    pytest.param("ValueSet", "url:below", "http://acme.org/",
                 {"index.url": {"$regex": "^http://acme\\.org/"}}, id="uri-below"),
    # :missing on every type of value
    pytest.param("Condition", "encounter:missing", "true", {"index.encounter": {"$exists": False}},
                 id="missing-reference"),
    pytest.param("Goal", "target-date:missing", "false", {"index.target-date": {"$exists": True}},
                 id="missing-date"),
    pytest.param("Condition", "code:missing", "true", {"index.code": {"$exists": False}},
                 id="missing-token"),
    pytest.param("Group", "characteristic-value:missing", "true",
                 {"index.characteristic-value": {"$exists": False}}, id="missing-composite"),
    # composite: every component in one entry
    pytest.param("Group", "characteristic-value", "gender$urn:g|female",
                 {"index.characteristic-value": {"$elemMatch": {"$and": [
                     {"characteristic.code": "gender"},
                     {"value": {"$elemMatch": {"system": "urn:g", "code": "female"}}}]}}},
                 id="composite"),
]  # fmt: skip


@pytest.mark.parametrize(("resource_type", "name", "value", "expected"), GOLDEN)
async def test_golden_filter(resource_type: str, name: str, value: str, expected: Any) -> None:
    filter_ = await build_filter(resource_type, [p(name, value)], FakeResolver([]), base_urls=BASE)
    assert filter_ == expected


async def test_a_boolean_takes_true_or_false_only() -> None:
    with pytest.raises(InvalidSearch, match="`active`: expected `true` or `false`"):
        await build_filter("Practitioner", [p("active", "yes")], FakeResolver([]))


async def test_the_issue_question_is_one_and_of_two_index_fields() -> None:
    parameters = [p("patient", "Patient/x"), p("clinical-status", "active")]
    assert await build_filter("Condition", parameters, FakeResolver([])) == {
        "$and": [{"index.patient": "Patient/x"}, {"index.clinical-status.code": "active"}]
    }


class KeepsAll(FakeResolver):
    def keeps(self, resource_type: str) -> bool:
        return True


async def test_a_chain_into_a_generic_type_resolves_ids_there() -> None:
    resolver = KeepsAll(["m1"])
    filter_ = await build_filter("MedicationRequest", [p("medication.code", "197361")], resolver)
    assert filter_ == {"index.medication": {"$in": ["Medication/m1"]}}
    (asked,) = resolver.asked
    assert asked[:2] == ("matching", "Medication")
