"""Whatever a differential holds, generation answers a snapshot or a SnapshotError naming what
it refused: never a KeyError or TypeError from deep inside the walk."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_profiles.canonical import held
from gateway.conformance.snapshot import SnapshotError, snapshot

Json = dict[str, Any]
KEYS = [
    "id", "path", "sliceName", "min", "max", "type", "slicing", "binding", "constraint",
    "condition", "contentReference", "fixedCode", "patternCodeableConcept",
]  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 3) | st.sampled_from(["*", "1", "x", "Observation.code", "#Observation.referenceRange", "Observation.component:a.code"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["code", "key", "profile", "element"]), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def _bp() -> Json:
    bp = held().resolve("http://hl7.org/fhir/StructureDefinition/bp")
    assert bp is not None
    return {k: v for k, v in bp.items() if k != "snapshot"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 29), st.sampled_from(KEYS), JSON | st.just(...)),
        min_size=1,
        max_size=3,
    )
)
def test_a_mangled_differential_is_refused_by_name(edits: list[tuple[int, str, Any]]) -> None:
    sd = copy.deepcopy(_bp())
    elements = sd["differential"]["element"]
    for index, key, value in edits:
        if value is ...:
            elements[index].pop(key, None)
        else:
            elements[index][key] = value
    try:
        generated = snapshot(sd, held().resolve)
    except SnapshotError:
        return  # refused, and the message names the profile and the element
    assert all(isinstance(e.get("id"), str) for e in generated)
