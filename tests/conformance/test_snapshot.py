"""Snapshot generation, checked against HL7's own: each R4 vital signs profile's published
snapshot is regenerated from its differential (https://hl7.org/fhir/R4/observation-vitalsigns.html)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fhir_profiles.canonical import held
from gateway.conformance.snapshot import snapshot

Json = dict[str, Any]
HL7 = "http://hl7.org/fhir/StructureDefinition/"
VITAL_SIGNS = [
    "vitalsigns", "vitalspanel", "bp", "bodyweight", "bodyheight", "bodytemp", "heartrate",
    "oxygensat", "resprate", "bmi", "headcircum",
]  # fmt: skip


def _without_sources(elements: list[Json]) -> list[Json]:
    """HL7 names a constraint's `source` only here and there (the root's inherited ones);
    validation reads the key, expression and severity, so the comparison leaves it out."""
    return [
        {
            **e,
            "constraint": [{k: v for k, v in c.items() if k != "source"} for c in e["constraint"]],
        }
        if "constraint" in e
        else e
        for e in elements
    ]


@pytest.mark.parametrize("name", VITAL_SIGNS)
def test_vital_signs_snapshot_is_hl7s(name: str) -> None:
    sd = held().resolve(HL7 + name)
    assert sd is not None
    generated = snapshot(sd, held().resolve)
    assert [e["id"] for e in generated] == [e["id"] for e in sd["snapshot"]["element"]]
    assert _without_sources(generated) == _without_sources(sd["snapshot"]["element"])


def test_a_base_held_without_snapshot_is_generated_first() -> None:
    """bp over a vitalsigns that carries only its differential: vitalsigns' snapshot is
    generated from Observation on the way (bp -> vitalsigns -> Observation)."""
    vitalsigns = held().resolve(HL7 + "vitalsigns")
    assert vitalsigns is not None
    differential_only = {k: v for k, v in vitalsigns.items() if k != "snapshot"}

    def resolve(url: str) -> Json | None:
        return differential_only if url == HL7 + "vitalsigns" else held().resolve(url)

    bp = held().resolve(HL7 + "bp")
    assert bp is not None
    generated = snapshot(bp, resolve)
    assert _without_sources(generated) == _without_sources(bp["snapshot"]["element"])


def test_generation_leaves_the_held_base_unchanged() -> None:
    observation = held().resolve(HL7 + "Observation")
    assert observation is not None
    before = copy.deepcopy(observation["snapshot"]["element"])
    bp = held().resolve(HL7 + "bp")
    assert bp is not None
    snapshot(bp, held().resolve)
    assert observation["snapshot"]["element"] == before
