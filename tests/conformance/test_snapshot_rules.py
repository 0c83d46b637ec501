"""Snapshot generation on small profiles of our own: what the vital signs family does not
exercise (extension slices, contentReference, a type's profile), and what it refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fhir_profiles.canonical import held
from gateway.conformance.snapshot import SnapshotError, snapshot

Json = dict[str, Any]
HL7 = "http://hl7.org/fhir/StructureDefinition/"
OURS = "http://fhir-gateway.org/fhir/StructureDefinition/"


def _profile(*elements: Json, base: str = HL7 + "Observation") -> Json:
    return {
        "resourceType": "StructureDefinition",
        "url": OURS + "test-profile",
        "type": base.rsplit("/", 1)[1],
        "baseDefinition": base,
        "derivation": "constraint",
        "differential": {"element": [{"id": "Observation", "path": "Observation"}, *elements]},
    }


def _by_id(elements: list[Json]) -> dict[str, Json]:
    return {e["id"]: e for e in elements}


def test_an_extension_slice_needs_no_slicing_and_keeps_its_profile() -> None:
    generated = snapshot(
        _profile(
            {
                "id": "Observation.extension:device",
                "path": "Observation.extension",
                "sliceName": "device",
                "min": 1,
                "max": "1",
                "type": [{"code": "Extension", "profile": [OURS + "source-device"]}],
            }
        ),
        held().resolve,
    )
    ids = [e["id"] for e in generated]
    at = ids.index("Observation.extension")
    assert ids[at + 1] == "Observation.extension:device"
    assert ids[at + 2] == "Observation.modifierExtension"
    extension = generated[at]
    assert extension["slicing"]["discriminator"] == [{"path": "url", "type": "value"}]
    device = generated[at + 1]
    assert (device["min"], device["max"], device["sliceName"]) == (1, "1", "device")
    assert device["type"] == [{"code": "Extension", "profile": [OURS + "source-device"]}]
    assert device["path"] == "Observation.extension"


def test_constraining_below_a_content_reference_copies_the_referenced_elements() -> None:
    generated = _by_id(
        snapshot(
            _profile(
                {
                    "id": "Observation.component.referenceRange.text",
                    "path": "Observation.component.referenceRange.text",
                    "min": 1,
                }
            ),
            held().resolve,
        )
    )
    assert generated["Observation.component.referenceRange.text"]["min"] == 1
    low = generated["Observation.component.referenceRange.low"]
    assert low["path"] == "Observation.component.referenceRange.low"
    assert low["type"] == [{"code": "Quantity", "profile": [HL7 + "SimpleQuantity"]}]


def test_a_typed_profile_expands_from_the_profile_not_the_type() -> None:
    """referenceRange.low is a SimpleQuantity: its `comparator` is max 0 there, not in Quantity."""
    generated = _by_id(
        snapshot(
            _profile(
                {
                    "id": "Observation.referenceRange.low.unit",
                    "path": "Observation.referenceRange.low.unit",
                    "min": 1,
                }
            ),
            held().resolve,
        )
    )
    assert generated["Observation.referenceRange.low.comparator"]["max"] == "0"
    assert generated["Observation.referenceRange.low.unit"]["min"] == 1
    assert generated["Observation.referenceRange.low.unit"]["base"]["path"] == "Quantity.unit"


def test_a_choice_restricted_by_its_type_is_renamed_not_sliced() -> None:
    generated = _by_id(
        snapshot(
            _profile(
                {
                    "id": "Observation.valueQuantity",
                    "path": "Observation.valueQuantity",
                    "type": [{"code": "Quantity"}],
                },
                {
                    "id": "Observation.valueQuantity.code",
                    "path": "Observation.valueQuantity.code",
                    "fixedCode": "kg",
                },
            ),
            held().resolve,
        )
    )
    assert generated["Observation.value[x]"]["type"] == [{"code": "Quantity"}]
    assert "slicing" not in generated["Observation.value[x]"]
    assert generated["Observation.value[x].code"]["fixedCode"] == "kg"
    assert generated["Observation.value[x].code"]["path"] == "Observation.value[x].code"


def test_a_choice_already_restricted_to_the_type_is_renamed_not_sliced() -> None:
    generated = _by_id(
        snapshot(
            _profile(
                {
                    "id": "Observation.value[x]",
                    "path": "Observation.value[x]",
                    "type": [{"code": "Quantity"}],
                },
                {"id": "Observation.valueQuantity", "path": "Observation.valueQuantity", "min": 1},
                {
                    "id": "Observation.valueQuantity.code",
                    "path": "Observation.valueQuantity.code",
                    "min": 1,
                },
            ),
            held().resolve,
        )
    )
    assert generated["Observation.value[x]"]["min"] == 1
    assert "slicing" not in generated["Observation.value[x]"]
    assert generated["Observation.value[x].code"]["min"] == 1
    assert not [i for i in generated if i.startswith("Observation.value[x]:")]


def test_a_new_slice_is_optional_unless_it_says_so() -> None:
    generated = _by_id(
        snapshot(
            _profile(
                {
                    "id": "Observation.category",
                    "path": "Observation.category",
                    "min": 1,
                    "slicing": {
                        "discriminator": [{"type": "pattern", "path": "$this"}],
                        "rules": "open",
                    },
                },
                {
                    "id": "Observation.category:lab",
                    "path": "Observation.category",
                    "sliceName": "lab",
                    "patternCodeableConcept": {"coding": [{"code": "laboratory"}]},
                },
            ),
            held().resolve,
        )
    )
    assert generated["Observation.category"]["min"] == 1
    assert generated["Observation.category:lab"]["min"] == 0
    assert "slicing" not in generated["Observation.category:lab"]


def test_constraints_add_to_the_base() -> None:
    invariant = {"key": "gw-1", "severity": "error", "human": "h", "expression": "status.exists()"}
    generated = _by_id(
        snapshot(
            _profile(
                {
                    "id": "Observation.status",
                    "path": "Observation.status",
                    "constraint": [invariant],
                }
            ),
            held().resolve,
        )
    )
    assert [c["key"] for c in generated["Observation.status"]["constraint"]] == ["ele-1", "gw-1"]


@pytest.mark.parametrize(
    ("element", "message"),
    [
        pytest.param(
            {"id": "Observation.status", "path": "Observation.status", "min": 0},
            "min 0 is below the base's 1",
            id="min-loosened",
        ),
        pytest.param(
            {"id": "Observation.subject", "path": "Observation.subject", "max": "*"},
            "max * is above the base's 1",
            id="max-loosened",
        ),
        pytest.param(
            {
                "id": "Observation.subject",
                "path": "Observation.subject",
                "type": [{"code": "string"}],
            },
            "type `string` is not one of the base's (Reference)",
            id="type-outside-base",
        ),
        pytest.param(
            {"id": "Observation.colour", "path": "Observation.colour"},
            "`Observation.colour` matches no element of the base",
            id="unknown-element",
        ),
        pytest.param(
            {"id": "Observation.valueBanana", "path": "Observation.valueBanana"},
            "matches no element of the base",
            id="unknown-choice-type",
        ),
        pytest.param(
            {"id": "Observation.value[x].code", "path": "Observation.value[x].code"},
            "has 11 types; restrict it to one first",
            id="below-a-choice",
        ),
        pytest.param(
            {
                "id": "Observation.identifier:mrn",
                "path": "Observation.identifier",
                "sliceName": "mrn",
            },
            "declares no slicing",
            id="slice-without-slicing",
        ),
        pytest.param(
            {
                "id": "Observation.identifier:a/b",
                "path": "Observation.identifier",
                "sliceName": "a/b",
            },
            "Reslicing",
            id="reslicing",
        ),
        pytest.param(
            {"id": "Observation.subject", "path": "Observation.subject", "min": 1, "max": "0"},
            "min 1 is above max 0",
            id="min-above-max",
        ),
        pytest.param(
            {"id": "Observation.subject", "path": "Observation.subject", "min": "1"},
            "min must be a non-negative integer",
            id="min-not-integer",
        ),
        pytest.param(
            {"id": "Observation.subject", "path": "Observation.subject", "max": "many"},
            "max must be a whole number or `*`",
            id="max-not-number",
        ),
        pytest.param(
            {"id": "Observation.subject", "path": "Observation.subject", "type": [{"profile": []}]},
            "each type needs a `code`",
            id="type-without-code",
        ),
        pytest.param(
            {"id": "Observation.category:a", "path": "Observation.category", "sliceName": "b"},
            "the id does not end with its sliceName `:b`",
            id="slice-name-not-in-id",
        ),
    ],
)
def test_what_it_refuses_is_named(element: Json, message: str) -> None:
    with pytest.raises(SnapshotError, match=re.escape(message)):
        snapshot(_profile(element), held().resolve)


def test_an_extension_whose_definition_is_not_held_cannot_be_constrained_below() -> None:
    slice_ = {
        "id": "Observation.extension:x",
        "path": "Observation.extension",
        "sliceName": "x",
        "type": [{"code": "Extension", "profile": [OURS + "not-held"]}],
    }
    below = {"id": "Observation.extension:x.url", "path": "Observation.extension.url"}
    with pytest.raises(SnapshotError, match=re.escape(f"the type `{OURS}not-held` of")):
        snapshot(_profile(slice_, below), held().resolve)


def test_an_unknown_base_is_refused() -> None:
    with pytest.raises(
        SnapshotError, match=re.escape("base definition `http://example.org/nope` is not held")
    ):
        snapshot(_profile(base="http://example.org/nope"), held().resolve)


def test_a_profile_of_another_type_than_its_base_is_refused() -> None:
    with pytest.raises(SnapshotError, match="type `Patient` is not its base's `Observation`"):
        snapshot({**_profile(), "type": "Patient"}, held().resolve)


def test_a_differential_that_is_no_list_is_refused() -> None:
    with pytest.raises(SnapshotError, match=re.escape("`differential.element` is not a list")):
        snapshot({**_profile(), "differential": {"element": {}}}, held().resolve)


def test_each_type_slice_of_a_choice_adds_its_type() -> None:
    generated = _by_id(
        snapshot(
            _profile(
                {"id": "Observation.valueQuantity", "path": "Observation.valueQuantity"},
                {"id": "Observation.valueString", "path": "Observation.valueString", "max": "0"},
            ),
            held().resolve,
        )
    )
    value = generated["Observation.value[x]"]
    assert value["type"] == [{"code": "Quantity"}, {"code": "string"}]
    assert value["slicing"]["discriminator"] == [{"path": "$this", "type": "type"}]
    assert generated["Observation.value[x]:valueString"]["type"] == [{"code": "string"}]
    assert generated["Observation.value[x]:valueString"]["max"] == "0"
    assert generated["Observation.value[x]:valueQuantity"]["type"] == [{"code": "Quantity"}]


def test_a_specialization_is_refused() -> None:
    with pytest.raises(SnapshotError, match="only constraint profiles"):
        snapshot({**_profile(), "derivation": "specialization"}, held().resolve)
