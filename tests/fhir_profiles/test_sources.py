"""The hand-written sources of the gateway's conformance package (fhir_profiles/source/) and the
profile examples (tests/fixtures/profiles/), checked without the validation engine: what each
resource must carry to be published, that everything a source names is held, that the examples
claim held profiles, and that every `gw-` invariant holds on the valid examples and fails where
an invalid one says it does (evaluated by fhirpathpy, the maintained FHIRPath engine).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.models import models

from fhir_profiles.canonical import held
from mappers.invariants import invariant_issues
from mappers.r4 import validate

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "fhir_profiles" / "source"
EXAMPLES = ROOT / "tests" / "fixtures" / "profiles"
BASE = "http://fhir-gateway.org/fhir"
TYPES = ("StructureDefinition", "ValueSet", "CodeSystem", "ConceptMap")
VITAL_SIGNS = {
    f"http://hl7.org/fhir/StructureDefinition/{name}"
    for name in (
        "vitalsigns",
        "vitalspanel",
        "bp",
        "bodyweight",
        "bodyheight",
        "bodytemp",
        "heartrate",
        "oxygensat",
        "resprate",
        "bmi",
        "headcircum",
    )
}
Json = dict[str, Any]


def _load(folder: Path) -> dict[str, Json]:
    return {
        path.name: json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json"))
    }


SOURCES = _load(SOURCE)
BY_URL = {resource["url"]: resource for resource in SOURCES.values()}
VALID = _load(EXAMPLES / "valid")
INVALID = _load(EXAMPLES / "invalid")
EXPECTED: dict[str, dict[str, str]] = json.loads((EXAMPLES / "expected.json").read_text("utf-8"))


def resolve(canonical: str) -> Json | None:
    """A canonical URL (`|version` dropped) among the sources, else among what is held."""
    url = canonical.split("|", 1)[0]
    return BY_URL.get(url) or held().resolve(url)


def codes(concepts: list[Json]) -> Iterator[str]:
    for concept in concepts:
        yield concept["code"]
        yield from codes(concept.get("concept", []))


def code_system_codes(url: str) -> set[str] | None:
    """The codes of a held code system that lists them all; None when it is external."""
    system = resolve(url)
    if system is None or system.get("content") != "complete":
        return None
    return set(codes(system.get("concept", [])))


def test_there_is_something_of_each_kind() -> None:
    kinds = {resource["resourceType"] for resource in SOURCES.values()}
    assert kinds == set(TYPES)
    assert len(VALID) >= 19
    assert len(INVALID) >= 7


@pytest.mark.parametrize("name", SOURCES)
def test_source_is_publishable(name: str) -> None:
    resource = SOURCES[name]
    kind, rid = resource["resourceType"], resource["id"]
    assert kind in TYPES
    assert name == f"{kind}-{rid}.json"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rid)
    assert resource["url"] == f"{BASE}/{kind}/{rid}"
    assert resource["version"] == "0.2.0"
    assert resource["status"] == "active"
    assert resource["publisher"]
    assert resource["description"]
    assert resource["name"]


STRUCTURE_DEFINITIONS = [
    n for n, r in SOURCES.items() if r["resourceType"] == "StructureDefinition"
]


@pytest.mark.parametrize("name", STRUCTURE_DEFINITIONS)
def test_structure_definition_is_a_differential(name: str) -> None:
    definition = SOURCES[name]
    assert "snapshot" not in definition
    assert definition["purpose"], "say why the profile or extension exists"
    assert definition["derivation"] == "constraint"
    assert definition["fhirVersion"] == "4.0.1"
    assert resolve(definition["baseDefinition"]) is not None
    elements = definition["differential"]["element"]
    ids = [element["id"] for element in elements]
    assert len(ids) == len(set(ids)), "an element id appears twice"
    for element in elements:
        assert element["path"] == re.sub(r":[^.]+", "", element["id"])
        assert element["path"].split(".")[0] == definition["type"]
    if definition["type"] == "Extension":
        assert definition["context"]
        url = next(e for e in elements if e["id"] == "Extension.url")
        assert url["fixedUri"] == definition["url"]


def _named(definition: Json) -> Iterator[str]:
    """Every canonical a StructureDefinition's elements name: bindings and type profiles."""
    for element in definition["differential"]["element"]:
        if "binding" in element:
            yield element["binding"]["valueSet"]
        for type_ in element.get("type", []):
            yield from type_.get("profile", [])
            yield from type_.get("targetProfile", [])


@pytest.mark.parametrize("name", STRUCTURE_DEFINITIONS)
def test_what_a_structure_definition_names_is_held(name: str) -> None:
    missing = [url for url in _named(SOURCES[name]) if resolve(url) is None]
    assert not missing


VALUE_SETS = [n for n, r in SOURCES.items() if r["resourceType"] == "ValueSet"]


@pytest.mark.parametrize("name", VALUE_SETS)
def test_value_set_composes_held_codes(name: str) -> None:
    """A whole-system include needs the system held; an enumeration of an external system
    (LOINC, UCUM) is self-contained, and one of a held system names codes it defines."""
    for include in SOURCES[name]["compose"]["include"]:
        listed = [concept["code"] for concept in include.get("concept", [])]
        known = code_system_codes(include["system"])
        if not listed:
            assert known is not None, f"{include['system']} is not held"
        elif known is not None:
            assert set(listed) <= known


CODE_SYSTEMS = [n for n, r in SOURCES.items() if r["resourceType"] == "CodeSystem"]


@pytest.mark.parametrize("name", CODE_SYSTEMS)
def test_code_system_counts_unique_codes(name: str) -> None:
    system = SOURCES[name]
    listed = list(codes(system.get("concept", [])))
    assert len(listed) == len(set(listed))
    if system["content"] == "complete":
        assert listed
        assert system["count"] == len(listed)
        assert resolve(system["valueSet"]) is not None
    else:
        assert not listed
        assert "valueSet" not in system


def test_published_code_systems_keep_the_codes_the_gateway_writes() -> None:
    from gateway.services.profiles import ProfilePolicy
    from gateway.services.resources import NO_CHANGE
    from mappers.outcome import GATEWAY_OUTCOMES

    claims = ["http://example.org/not-held", "http://hl7.org/fhir/StructureDefinition/bp"]
    written = [
        NO_CHANGE,
        *ProfilePolicy().issues({"resourceType": "Patient", "meta": {"profile": claims}}),
    ]
    ours = {i.details_code for i in written if i.details_system == GATEWAY_OUTCOMES}
    assert ours == {"no-change", "unknown-profile", "profile-type-mismatch"}
    assert ours <= (code_system_codes(GATEWAY_OUTCOMES) or set())
    assert resolve(f"{BASE}/CodeSystem/validation-rule") is not None


CONCEPT_MAPS = [n for n, r in SOURCES.items() if r["resourceType"] == "ConceptMap"]


@pytest.mark.parametrize("name", CONCEPT_MAPS)
def test_concept_map_maps_held_codes(name: str) -> None:
    concept_map = SOURCES[name]
    assert resolve(concept_map["sourceCanonical"]) is not None
    assert resolve(concept_map["targetCanonical"]) is not None
    for group in concept_map["group"]:
        sources, targets = code_system_codes(group["source"]), code_system_codes(group["target"])
        assert sources is not None, "the app's enum is published as a code system"
        assert {element["code"] for element in group["element"]} == sources, "every value mapped"
        for element in group["element"]:
            for target in element["target"]:
                assert target.get("code") is None or targets is None or target["code"] in targets
                if target["equivalence"] in ("narrower", "inexact"):
                    assert target.get("comment"), "cmd-1"


def test_expected_covers_exactly_the_invalid_examples() -> None:
    assert set(EXPECTED) == {name.removesuffix(".json") for name in INVALID}
    for found in EXPECTED.values():
        assert set(found) == {"expression", "key"}


EXAMPLES_ALL = {
    **{f"valid/{n}": r for n, r in VALID.items()},
    **{f"invalid/{n}": r for n, r in INVALID.items()},
}


@pytest.mark.parametrize("name", EXAMPLES_ALL)
def test_example_claims_a_held_profile_and_is_r4(name: str) -> None:
    example = EXAMPLES_ALL[name]
    (claimed,) = example["meta"]["profile"]
    assert claimed in BY_URL or claimed in VITAL_SIGNS
    profile = resolve(claimed)
    assert profile is not None
    assert profile["type"] == example["resourceType"]
    # An invalid example breaks a profile rule only: R4's structure and invariants hold.
    assert validate(example) == []
    assert invariant_issues(example) == []


def test_every_profile_has_a_valid_example() -> None:
    claimed = {example["meta"]["profile"][0] for example in VALID.values()}
    profiles = {r["url"] for r in SOURCES.values() if r.get("kind") == "resource"}
    assert profiles <= claimed
    assert len(claimed & VITAL_SIGNS) >= 5


def _constraints(profile_url: str) -> Iterator[tuple[str, str, str]]:
    """(element path, key, expression) of the gateway's own invariants a profile declares."""
    profile = BY_URL.get(profile_url)
    for element in profile["differential"]["element"] if profile else ():
        for constraint in element.get("constraint", []):
            yield element["path"], constraint["key"], constraint["expression"]


def _failures(example: Json) -> set[tuple[str, str]]:
    """(instance path, key) of every gw- invariant of the claimed profile that is not true."""
    found = set()
    for path, key, expression in _constraints(example["meta"]["profile"][0]):
        count = (
            1 if "." not in path else len(fhirpathpy.evaluate(example, path, None, models["r4"]))
        )
        for index in range(count):
            at = path if "." not in path else f"{path}[{index}]"
            result = fhirpathpy.evaluate(example, f"{at}.all({expression})", None, models["r4"])
            if result != [True]:
                found.add((at, key))
    return found


@pytest.mark.parametrize("name", VALID)
def test_invariants_hold_on_valid_example(name: str) -> None:
    assert _failures(VALID[name]) == set()


@pytest.mark.parametrize("name", INVALID)
def test_invalid_example_breaks_the_invariant_it_names_and_no_other(name: str) -> None:
    expected = EXPECTED[name.removesuffix(".json")]
    breaks = (
        {(expected["expression"], expected["key"])} if expected["key"].startswith("gw-") else set()
    )
    assert _failures(INVALID[name]) == breaks
