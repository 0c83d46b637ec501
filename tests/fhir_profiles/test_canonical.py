"""The held conformance resources: R4's, indexed by canonical URL, later sources winning."""

from __future__ import annotations

from collections import Counter

from fhir_profiles.canonical import Canonicals, held, r4_structure_definitions, r4_terminology

VITAL_SIGNS = "http://hl7.org/fhir/StructureDefinition/{}"


def test_r4_definitions_cover_every_resource_type_and_the_vital_signs_family() -> None:
    import fhir_profiles

    urls = {sd["url"] for sd in r4_structure_definitions()}
    assert {
        f"http://hl7.org/fhir/StructureDefinition/{t}" for t in fhir_profiles.resource_types()
    } <= urls
    for name in ("vitalsigns", "bp", "bodyweight", "bodytemp", "heartrate", "oxygensat", "bmi"):
        profile = held().resolve(VITAL_SIGNS.format(name), "StructureDefinition")
        assert profile is not None
        assert profile["type"] == "Observation"
        assert profile["snapshot"]["element"]
        assert profile["differential"]["element"]


def test_r4_terminology_is_held_once_per_url() -> None:
    counts = Counter((r["resourceType"], r["url"]) for r in r4_terminology())
    assert max(counts.values()) == 1
    gender = held().resolve("http://hl7.org/fhir/ValueSet/administrative-gender")
    assert gender is not None
    assert gender["resourceType"] == "ValueSet"
    system = held().resolve("http://hl7.org/fhir/administrative-gender", "CodeSystem")
    assert system is not None
    assert [c["code"] for c in system["concept"]] == ["male", "female", "other", "unknown"]


def test_resolve_reads_url_and_url_with_version() -> None:
    index = Canonicals([
        {"resourceType": "ValueSet", "url": "http://x/vs", "version": "1.0"},
        {"resourceType": "CodeSystem", "url": "http://x/cs"},
    ])  # fmt: skip
    assert index.resolve("http://x/vs") == index.resolve("http://x/vs|1.0") is not None
    assert index.resolve("http://x/vs|2.0") is None
    assert index.resolve("http://x/cs|1.0") is not None  # held without a version: any matches
    assert index.resolve("http://x/vs", "CodeSystem") is None
    assert index.resolve("http://x/other") is None


def test_a_later_source_wins_a_url_an_earlier_one_defines() -> None:
    first = {"resourceType": "ValueSet", "url": "http://x/vs", "name": "first"}
    second = {"resourceType": "ValueSet", "url": "http://x/vs", "name": "second"}
    index = Canonicals([first, second, {"resourceType": "ValueSet"}])
    assert index.resolve("http://x/vs") is second
    assert index.of_type("ValueSet") == (second,)
    assert len(index) == 1
