"""ValueSet expansion over held resources (valueset.html#expansion, valueset-operation-expand)."""

from __future__ import annotations

import pytest

from fhir_profiles.canonical import Canonicals, held, package_resources
from gateway.terminology import (
    ExpansionTooLarge,
    LocalSource,
    NotEnumerable,
    UnknownValueSet,
)
from tests.terminology.conftest import (
    ACT_CODE,
    BASE,
    CREDIT_CARDS,
    GENDER,
    GENDER_BUT_UNKNOWN,
    GENDER_VS,
    LOINC,
    PLUS_SNOMED_FILTER,
    SELF_IMPORT,
    TWO_LOINC,
    Json,
)


def codes(expansion: Json) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in expansion["expansion"].get("contains", [])]


def test_administrative_gender_has_its_four_codes(source: LocalSource) -> None:
    expanded = source.expand(GENDER_VS)
    assert expanded["url"] == GENDER_VS
    assert expanded["expansion"]["total"] == 4
    assert expanded["expansion"]["offset"] == 0
    assert expanded["expansion"]["contains"][0] == {
        "system": GENDER, "code": "male", "display": "Male"
    }  # fmt: skip
    assert codes(expanded) == [(GENDER, c) for c in ("male", "female", "other", "unknown")]
    assert expanded["expansion"]["identifier"].startswith("urn:uuid:")
    assert "timestamp" in expanded["expansion"]


def test_concept_lists_need_no_code_system(source: LocalSource) -> None:
    expanded = source.expand(TWO_LOINC["url"])
    assert expanded["expansion"]["contains"] == [
        {"system": LOINC, "code": "8867-4", "display": "Heart rate"},
        {"system": LOINC, "code": "29463-7"},
    ]


def test_an_import_less_an_exclude(source: LocalSource) -> None:
    expanded = source.expand(GENDER_BUT_UNKNOWN["url"])
    assert codes(expanded) == [(GENDER, c) for c in ("male", "female", "other")]


def test_r4_value_set_importing_another() -> None:
    """yesnodontknow imports v2-0136 (yes/no) and adds asked-unknown from data-absent-reason."""
    expanded = LocalSource(held()).expand("http://hl7.org/fhir/ValueSet/yesnodontknow")
    found = {code for _, code in codes(expanded)}
    assert {"Y", "N", "asked-unknown"} <= found


def test_descendent_of_excludes_the_code_itself(source: LocalSource) -> None:
    expanded = source.expand(CREDIT_CARDS["url"])
    assert sorted(code for _, code in codes(expanded)) == ["AE", "DN", "DV", "MC", "V"]
    assert {system for system, _ in codes(expanded)} == {ACT_CODE}


def test_is_a_filter_on_a_v3_hierarchy(source: LocalSource) -> None:
    """v3-ActEncounterCode is `ActCode is-a _ActEncounterCode`: AMB, EMER, IMP... but not the
    abstract root marked as such."""
    expanded = source.expand("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode")
    found = {code for _, code in codes(expanded)}
    assert {"AMB", "EMER", "IMP", "ACUTE", "NONAC", "HH"} <= found
    assert "CASH" not in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("fem", ["female"], id="display-substring"),
        pytest.param("MALE", ["male", "female"], id="case-insensitive"),
        pytest.param("unk", ["unknown"], id="code"),
        pytest.param("zzz", [], id="nothing"),
    ],
)
def test_text_filter(source: LocalSource, text: str, expected: list[str]) -> None:
    expanded = source.expand(GENDER_VS, text_filter=text)
    assert [code for _, code in codes(expanded)] == expected
    assert expanded["expansion"]["total"] == len(expected)
    assert expanded["expansion"]["parameter"] == [{"name": "filter", "valueString": text}]


def test_count_and_offset_page_the_codes(source: LocalSource) -> None:
    expanded = source.expand(GENDER_VS, count=2, offset=1)
    assert [code for _, code in codes(expanded)] == ["female", "other"]
    assert expanded["expansion"]["total"] == 4
    assert expanded["expansion"]["offset"] == 1
    assert expanded["expansion"]["parameter"] == [
        {"name": "count", "valueInteger": 2}, {"name": "offset", "valueInteger": 1}
    ]  # fmt: skip


def test_snomed_filter_is_not_enumerable(source: LocalSource) -> None:
    with pytest.raises(NotEnumerable) as caught:
        source.expand(PLUS_SNOMED_FILTER["url"])
    assert caught.value.status == 400
    assert "http://snomed.info/sct" in caught.value.diagnostics
    assert PLUS_SNOMED_FILTER["url"] in caught.value.diagnostics


def test_whole_loinc_is_not_enumerable(source: LocalSource) -> None:
    with pytest.raises(NotEnumerable) as caught:
        source.expand("http://hl7.org/fhir/ValueSet/observation-codes")
    assert (
        "all codes of CodeSystem `http://loinc.org`, which is not held" in caught.value.diagnostics
    )


def test_an_unknown_value_set_is_named(source: LocalSource) -> None:
    with pytest.raises(UnknownValueSet) as caught:
        source.expand(f"{BASE}/ValueSet/nowhere")
    assert caught.value.status == 400
    assert (
        caught.value.diagnostics
        == f"ValueSet `{BASE}/ValueSet/nowhere` is not held by this server."
    )


def test_a_value_set_importing_itself_is_refused(source: LocalSource) -> None:
    with pytest.raises(NotEnumerable, match="imports itself"):
        source.expand(SELF_IMPORT["url"])


def test_past_the_limit_is_too_large() -> None:
    small = LocalSource(held(), limit=3)
    with pytest.raises(ExpansionTooLarge) as caught:
        small.expand(GENDER_VS)
    assert caught.value.status == 400
    assert "3 codes" in caught.value.diagnostics


def test_a_later_version_wins_and_url_version_resolves() -> None:
    newer = {
        **GENDER_BUT_UNKNOWN,
        "version": "2",
        "compose": {"include": [{"system": GENDER, "concept": [{"code": "male"}]}]},
    }
    source = LocalSource(Canonicals([*held(), newer]))
    assert codes(source.expand(f"{newer['url']}|2")) == [(GENDER, "male")]
    with pytest.raises(UnknownValueSet):
        source.expand(f"{newer['url']}|1")


def test_every_held_value_set_expands_or_says_why() -> None:
    """No held value set makes expansion crash: each expands or raises one of the 400s."""
    source = LocalSource(held())
    statuses: list[int] = []
    for value_set in held().of_type("ValueSet"):
        try:
            source.expand(value_set["url"], count=0)
            statuses.append(200)
        except (NotEnumerable, UnknownValueSet, ExpansionTooLarge) as error:
            statuses.append(error.status)
    assert set(statuses) == {200, 400}
    assert statuses.count(200) > 1100


def test_every_value_set_the_gateway_publishes_expands() -> None:
    """The package's own value sets (fhir_profiles/package) are all enumerable here."""
    ours = [
        v for v in held().of_type("ValueSet") if v["url"].startswith("http://fhir-gateway.org/")
    ]
    published = [r for r in package_resources() if r["resourceType"] == "ValueSet"]
    assert published, "fhir_profiles/package is built (scripts/build_package.py)"
    assert len(ours) == len(published)
    source = LocalSource(held())
    empty = [v["url"] for v in ours if not source.expand(v["url"])["expansion"]["total"]]
    assert empty == []
