"""Whole-request filters: composites, `:missing`, AND/OR, chains and `_has` (golden filters)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import InvalidSearch
from gateway.search.filters import build_filter
from gateway.search.model import NOTHING, ParsedParameter


class FakeResolver:
    """Answers chained look-ups from a table and records what it was asked."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.asked: list[tuple[Any, ...]] = []

    def keeps(self, resource_type: str) -> bool:
        return resource_type in ("Patient", "Encounter", "Observation", "MedicationStatement")

    async def matching_ids(
        self, resource_type: str, parameters: list[ParsedParameter], *, depth: int
    ) -> list[str]:
        self.asked.append(("matching", resource_type, parameters, depth))
        return self.ids

    async def referencing_ids(
        self,
        resource_type: str,
        parameters: list[ParsedParameter],
        via: str,
        target: str,
        *,
        depth: int,
    ) -> list[str]:
        self.asked.append(("referencing", resource_type, parameters, via, target, depth))
        return self.ids


def p(raw_name: str, value: str) -> ParsedParameter:
    head, *chain = raw_name.split(".")
    code, _, modifier = head.partition(":")
    return ParsedParameter(code, (value,), modifier or None, tuple(chain), raw_name=raw_name)


CODE = {"code.coding": {"$elemMatch": {"system": "http://loinc.org", "code": "8480-6"}}}
VALUE_GT_100 = {"value_quantity.value": {"$gt": 100.0}}


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        pytest.param([p("status", "final")], {"status": "final"}, id="one"),
        pytest.param(
            [p("status", "final,amended")],
            {"$or": [{"status": "final"}, {"status": "amended"}]},
            id="or-by-comma",
        ),
        pytest.param(
            [p("status", "final"), p("status", "amended")],
            {"$and": [{"status": "final"}, {"status": "amended"}]},
            id="and-by-repeat",
        ),
        pytest.param(
            [p("code-value-quantity", "http://loinc.org|8480-6$gt100")],
            {"$and": [CODE, VALUE_GT_100]},
            id="composite-on-the-resource",
        ),
        pytest.param(
            [p("component-code-value-quantity", "http://loinc.org|8480-6$gt100")],
            {"components": {"$elemMatch": {"$and": [CODE, VALUE_GT_100]}}},
            id="composite-in-one-component",
        ),
        pytest.param(
            [p("combo-code-value-quantity", "http://loinc.org|8480-6$gt100")],
            {"$or": [
                {"$and": [CODE, VALUE_GT_100]},
                {"components": {"$elemMatch": {"$and": [CODE, VALUE_GT_100]}}},
            ]},
            id="composite-on-resource-or-component",
        ),
        pytest.param(
            [p("status:not", "final,amended")],
            {"$nor": [{"status": "final"}, {"status": "amended"}]},
            id="not-any-of-several",
        ),
        pytest.param(
            [p("value-quantity:missing", "true")],
            {"value_quantity": {"$exists": False}},
            id="missing-true",
        ),
        pytest.param(
            [p("combo-code:missing", "false")],
            {"$or": [{"code.coding": {"$exists": True}}, {"components.code.coding": {"$exists": True}}]},
            id="missing-false-over-paths",
        ),
        pytest.param(
            [p("date:missing", "true")], {"index.date": {"$exists": False}}, id="missing-indexed"
        ),
    ],
)  # fmt: skip
async def test_parameters_become_the_expected_filter(
    parameters: list[ParsedParameter], expected: dict[str, Any]
) -> None:
    assert await build_filter("Observation", parameters, FakeResolver([])) == expected


async def test_chain_resolves_the_target_and_matches_its_ids() -> None:
    resolver = FakeResolver(["p1", "p2"])
    result = await build_filter("Observation", [p("patient.name", "ann")], resolver)
    assert result == {"index.patient": {"$in": ["Patient/p1", "Patient/p2"]}}
    assert resolver.asked == [
        ("matching", "Patient", [ParsedParameter("name", ("ann",), raw_name="name")], 1)
    ]


async def test_chain_with_no_match_matches_nothing() -> None:
    assert await build_filter("Observation", [p("patient.name", "x")], FakeResolver([])) == NOTHING


async def test_chain_through_a_polymorphic_reference_searches_each_target_with_the_parameter() -> (
    None
):
    """search.html#chaining: `subject.name` reaches every target type kept here that has `name`
    (of Observation.subject's Group, Device, Patient, Location, the fake keeps only Patient)."""
    resolver = FakeResolver(["p1"])
    result = await build_filter("Observation", [p("subject.name", "ann")], resolver)
    assert result == {"index.subject": {"$in": ["Patient/p1"]}}
    assert [asked[1] for asked in resolver.asked] == ["Patient"]
    resolver = FakeResolver(["p1"])
    result = await build_filter("Observation", [p("subject:Patient.gender", "male")], resolver)
    assert result == {"index.subject": {"$in": ["Patient/p1"]}}


async def test_chain_to_several_kept_targets_ors_their_ids() -> None:
    """With every target kept, each target type's ids are OR-ed."""
    resolver = KeepsAll(["x1"])
    result = await build_filter("Observation", [p("subject.identifier", "a|b")], resolver)
    targets = [asked[1] for asked in resolver.asked]
    assert set(targets) == {"Group", "Device", "Patient", "Location"}
    assert result == {"$or": [{"index.subject": {"$in": [f"{t}/x1"]}} for t in targets]}


async def test_chain_refused_where_no_target_has_the_parameter_or_the_type_is_not_one() -> None:
    with pytest.raises(InvalidSearch) as raised:
        await build_filter("Observation", [p("subject.nosuch", "x")], KeepsAll([]))
    assert raised.value.issues[0].expression == "subject.nosuch"
    with pytest.raises(InvalidSearch) as raised:
        await build_filter("Observation", [p("subject:Organization.name", "x")], KeepsAll([]))
    assert "not a target" in str(raised.value.issues[0].diagnostics)


class KeepsAll(FakeResolver):
    def keeps(self, resource_type: str) -> bool:
        return True


async def test_reverse_chain_matches_the_referenced_ids() -> None:
    resolver = FakeResolver(["p9"])
    has = ParsedParameter("_has", ("1234-5",), raw_name="_has:Observation:patient:code",
                          has=("Observation", "patient", "code"))  # fmt: skip
    assert await build_filter("Patient", [has], resolver) == {"_id": {"$in": ["p9"]}}
    assert resolver.asked == [
        ("referencing", "Observation", [ParsedParameter("code", ("1234-5",), raw_name="code")],
         "patient", "Patient", 1)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("parameter", "expression"),
    [
        pytest.param(p("code-value-quantity", "http://loinc.org|8480-6"), "code-value-quantity", id="composite-arity"),
        pytest.param(p("status:missing", "maybe"), "status:missing", id="missing-flag"),
        pytest.param(p("date:exact", "2020"), "date", id="modifier-on-date"),
    ],
)  # fmt: skip
async def test_invalid_parameters_name_themselves(
    parameter: ParsedParameter, expression: str
) -> None:
    with pytest.raises(InvalidSearch) as raised:
        await build_filter("Observation", [parameter], FakeResolver([]))
    assert raised.value.issues[0].expression == expression


async def test_chain_into_a_type_not_kept_here_names_the_chain() -> None:
    with pytest.raises(InvalidSearch) as raised:
        await build_filter("Observation", [p("performer:Practitioner.name", "x")], FakeResolver([]))
    assert raised.value.issues[0].expression == "performer:Practitioner.name"
