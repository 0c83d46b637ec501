"""The common searches (gateway.search.common_searches) are served by declared indexes.

Golden filters pin what `build_filter` gives for each common search on our typed records; the
prefix test walks the filter of every common search of every kept type and checks that some
declared index (gateway.store.indexes) starts with the fields the filter tests by equality, and
continues with the date's range field: the equality-then-range order MongoDB answers from an
index without scanning the patient's other resources.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from gateway.search.common_searches import common_searches
from gateway.search.filters import build_filter, parameter_clause
from gateway.search.model import NOTHING, Clause, ParsedParameter, SearchParameter
from gateway.search.request import parse
from gateway.services.generic import kept_types
from gateway.store.indexes import collection_name, index_keys, is_array

Y2024, Y2025 = datetime(2024, 1, 1), datetime(2025, 1, 1)
GE_2024 = {"$or": [{"index.date.end": {"$gt": Y2025}},
                   {"index.date.start": {"$gte": Y2024}, "index.date.end": {"$lte": Y2025}}]}  # fmt: skip


class NoChains:
    """The common searches chain nowhere: a resolver that is never asked."""

    def keeps(self, resource_type: str) -> bool:
        raise AssertionError("no chain expected")

    async def matching_ids(self, *args: Any, **kwargs: Any) -> list[str]:
        raise AssertionError("no chain expected")

    async def referencing_ids(self, *args: Any, **kwargs: Any) -> list[str]:
        raise AssertionError("no chain expected")


def parsed(resource_type: str, query: str) -> tuple[ParsedParameter, ...]:
    items = [tuple(item.split("=", 1)) for item in query.split("&")]
    request = parse(resource_type, items, default_count=10, max_count=10)  # type: ignore[arg-type]
    return request.parameters


async def filter_of(resource_type: str, query: str) -> Clause:
    return await build_filter(resource_type, parsed(resource_type, query), NoChains())


@pytest.mark.parametrize(
    ("resource_type", "query", "expected"),
    [
        pytest.param("Observation", "patient=Patient/1&date=ge2024",
                     {"$and": [{"index.patient": "Patient/1"}, GE_2024]}, id="obs-patient-date"),
        pytest.param("Observation", "patient=Patient/1&code=http://loinc.org|8867-4",
                     {"$and": [{"index.patient": "Patient/1"}, {"code.coding": {"$elemMatch": {
                         "system": "http://loinc.org", "code": "8867-4"}}}]}, id="obs-patient-code"),
        pytest.param("Observation", "patient=Patient/1&status=final",
                     {"$and": [{"index.patient": "Patient/1"}, {"status": "final"}]},
                     id="obs-patient-status"),
        pytest.param("Encounter", "patient=Patient/1&date=ge2024",
                     {"$and": [{"index.patient": "Patient/1"}, GE_2024]}, id="enc-patient-date"),
        pytest.param("Encounter", "patient=Patient/1&status=finished",
                     {"$and": [{"index.patient": "Patient/1"}, {"status": "finished"}]},
                     id="enc-patient-status"),
        pytest.param("MedicationStatement", "patient=Patient/1&code=1191",
                     {"$and": [{"index.patient": "Patient/1"},
                               {"medication_concept.coding.code": "1191"}]},
                     id="medst-patient-code"),
        pytest.param("MedicationStatement", "identifier=http://sys|val",
                     {"identifiers": {"$elemMatch": {"system": "http://sys", "value": "val"}}},
                     id="medst-identifier"),
        pytest.param("Patient", "identifier=http://sys|val",
                     {"identifiers": {"$elemMatch": {"system": "http://sys", "value": "val"}}},
                     id="patient-identifier"),
        pytest.param("Condition", "patient=Patient/1", {"index.patient": "Patient/1"},
                     id="condition-patient"),
    ],
)  # fmt: skip
async def test_golden_filters_of_the_common_searches(
    resource_type: str, query: str, expected: Clause
) -> None:
    assert await filter_of(resource_type, query) == expected


# --- the prefix rule, over every kept type ------------------------------------------------------

# A value per parameter type, and the forms a token is searched by: `system|code` and `code`.
VALUES = {"reference": ["Patient/1"], "date": ["ge2024", "2024-03"],
          "token": ["http://example.org/cs|c-1", "c-1"]}  # fmt: skip
_RANGES = frozenset({"$gt", "$gte", "$lt", "$lte"})


def constrained(clause: Any, prefix: str = "") -> tuple[set[str], set[str]]:
    """(equality fields, range fields) a filter tests, through `$and`, `$or` (equality only
    where every branch has it), `$elemMatch` and dotted keys; `$nor` excludes, so serves none."""
    equal: set[str] = set()
    ranged: set[str] = set()
    if not isinstance(clause, dict):
        return equal, ranged
    for key, value in clause.items():
        if key == "$and":
            for part in value:
                e, r = constrained(part, prefix)
                equal, ranged = equal | e, ranged | r
        elif key == "$or":
            branches = [constrained(part, prefix) for part in value]
            equal |= set.intersection(*(e for e, _ in branches))
            ranged |= set().union(*(r | e for e, r in branches)) - equal
        elif not key.startswith("$"):
            field = f"{prefix}{key}"
            operators = value if isinstance(value, dict) else {"$eq": value}
            if "$elemMatch" in operators:
                e, r = constrained(operators["$elemMatch"], f"{field}.")
                equal, ranged = equal | e, ranged | r
            elif "$eq" in operators or "$in" in operators:
                equal.add(field)
            elif _RANGES & set(operators):
                ranged.add(field)
    return equal, ranged


def served(
    indexes: tuple[tuple[str, ...], ...],
    whole: tuple[set[str], set[str]],
    parts: list[tuple[SearchParameter, set[str], set[str]]],
) -> bool:
    """Some index leads with equality fields of the filter covering each parameter tested by
    equality, then (if a parameter is tested by range only) one of its range fields.
    A parameter stored as an array after another one is waived: one index cannot hold both."""
    equal, _ = whole
    arrays = 0
    needed: list[tuple[set[str], set[str]]] = []
    for parameter, e, r in parts:
        arrays += is_array(parameter)
        if arrays <= 1:
            needed.append((e, r))
    for keys in indexes:
        lead = 0
        while lead < len(keys) and keys[lead] in equal:
            lead += 1
        prefix, following = set(keys[:lead]), keys[lead] if lead < len(keys) else None
        if all(prefix & e if e else following in r for e, r in needed):
            return True
    return False


def cases() -> list[Any]:
    found = []
    for resource_type in kept_types():
        for name, parameters in common_searches(resource_type).items():
            found.append(pytest.param(resource_type, parameters, id=f"{resource_type}-{name}"))
    return found


@pytest.mark.parametrize(("resource_type", "parameters"), cases())
async def test_each_common_search_is_served_by_a_declared_index_prefix(
    resource_type: str, parameters: tuple[SearchParameter, ...]
) -> None:
    indexes = index_keys(collection_name(resource_type))
    first, *rest = parameters
    for value in VALUES[first.type]:
        for others in _combinations(rest):
            query = "&".join([f"{first.code}={value}", *others])
            parts = []
            for parameter, item in zip(parameters, query.split("&"), strict=True):
                [one] = parsed(resource_type, item)
                clause = parameter_clause(parameter, one)
                parts.append((parameter, *constrained(clause), clause == NOTHING))
            if any(nothing for *_, nothing in parts):
                continue  # `status=<another system>|c-1` matches nothing: no index needed
            whole = constrained(await filter_of(resource_type, query))
            assert served(indexes, whole, [p[:3] for p in parts]), (query, whole, indexes)


def _combinations(parameters: list[SearchParameter]) -> list[list[str]]:
    if not parameters:
        return [[]]
    head, *tail = parameters
    return [[f"{head.code}={v}", *rest] for v in VALUES[head.type] for rest in _combinations(tail)]


def test_every_kept_type_with_a_patient_parameter_has_a_patient_search() -> None:
    """The table reaches the types kept whole, not only our four."""
    with_patient = [t for t in kept_types() if "patient" in common_searches(t)]
    assert {"Condition", "Observation", "Encounter", "MedicationStatement"} <= set(with_patient)
    assert "Patient" not in with_patient
    assert "identifier" in common_searches("Practitioner")


def test_the_walk_finds_equality_and_range_fields() -> None:
    """The checker itself: a wrong index must be able to fail it."""
    whole = constrained({"$and": [{"index.patient": "Patient/1"}, GE_2024]})
    assert whole == ({"index.patient"}, {"index.date.start", "index.date.end"})
    code = {"code.coding": {"$elemMatch": {"system": "s", "code": "c"}}}
    assert constrained(code) == ({"code.coding.system", "code.coding.code"}, set())
    [patient, date] = common_searches("Observation")["patient+date"]
    parts = [(patient, {"index.patient"}, set()), (date, set(), whole[1])]
    assert served((("index.patient", "index.date.start"),), whole, parts)
    assert not served((("index.patient", "status"),), whole, parts)  # no range field next
    assert not served((("index.date.start", "index.patient"),), whole, parts)
