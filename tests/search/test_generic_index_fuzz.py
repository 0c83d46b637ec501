"""A write of a type kept whole never fails on its search values: whatever JSON sits under the
type's own element names (validation normally stops most of it), the indexer skips what a
parameter type cannot use and keeps the layout (gateway.search.values)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import fhir_profiles
from gateway.search.index import build_indexer

TYPES = ["Condition", "MedicationRequest", "Appointment", "Group", "Practitioner", "Claim"]
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12),
    st.sampled_from(["2024-01-02", "2024-13", "Patient/p1", "urn:uuid:x", "#c", ""]),
)  # fmt: skip
_KEYS = st.sampled_from(
    ["coding", "system", "code", "value", "reference", "start", "end", "family", "given", "text",
     "unit", "currency", "event", "repeat", "boundsPeriod", "identifier", "type", "actor"]
)  # fmt: skip
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def _resources(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    resource_type = draw(st.sampled_from(TYPES))
    names = sorted(fhir_profiles.elements()[resource_type])
    rest = draw(st.dictionaries(st.sampled_from(names), _JSON, max_size=6))
    return resource_type, rest


@settings(max_examples=300, deadline=None)
@given(_resources())
def test_any_json_indexes_without_error(drawn: tuple[str, dict[str, Any]]) -> None:
    resource_type, rest = drawn
    keys = build_indexer(resource_type)({"_id": "x", "fhir_rest": rest})
    assert set(keys) <= {"index", "exact", "sort"}
    for code, values in keys.get("index", {}).items():
        assert values not in ([], None, {}), code
    for code, value in keys.get("sort", {}).items():
        assert not isinstance(value, list | dict), code
