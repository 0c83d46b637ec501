"""$lookup and $translate over R4's code systems and concept maps, and the hierarchies."""

from __future__ import annotations

import pytest

from gateway.terminology import LocalSource, UnknownCode, UnknownCodeSystem, UnknownConceptMap
from tests.terminology.conftest import ACT_CODE, GENDER, GENDER_VS, Json

V2_GENDER = "http://terminology.hl7.org/CodeSystem/v2-0001"
V3_GENDER = "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CM_V2 = "http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2"


def named(parameters: Json, name: str) -> list[Json]:
    return [p for p in parameters["parameter"] if p["name"] == name]


def test_lookup_of_a_nested_v3_code(source: LocalSource) -> None:
    found = source.lookup(ACT_CODE, "CC")
    assert found["resourceType"] == "Parameters"
    assert named(found, "name") == [{"name": "name", "valueString": "v3.ActCode"}]
    assert named(found, "version") == [{"name": "version", "valueString": "2018-08-12"}]
    assert named(found, "display") == [{"name": "display", "valueString": "credit card"}]
    properties = {
        (p["part"][0]["valueCode"], next(v for k, v in p["part"][1].items() if k != "name"))
        for p in named(found, "property")
    }
    assert {("parent", "_ActAccountCode"), ("child", "AE"), ("child", "V")} <= properties
    assert ("definition", found["parameter"][3]["part"][1]["valueString"]) in properties


def test_lookup_with_the_held_version(source: LocalSource) -> None:
    assert named(source.lookup(GENDER, "male", "4.0.1"), "display")[0]["valueString"] == "Male"
    with pytest.raises(UnknownCodeSystem) as raised:
        source.lookup(GENDER, "male", "4.0.0")
    assert raised.value.diagnostics == f"CodeSystem `{GENDER}|4.0.0` is not held by this server."


def test_lookup_of_an_unknown_code_or_system(source: LocalSource) -> None:
    with pytest.raises(UnknownCode) as raised:
        source.lookup(GENDER, "banana")
    assert raised.value.status == 400
    assert raised.value.issues[0].code == "code-invalid"
    with pytest.raises(UnknownCodeSystem):
        source.lookup("http://loinc.org", "8867-4")


@pytest.mark.parametrize(
    ("system", "code", "descendants", "ancestors"),
    [
        pytest.param(CLINICAL, "inactive", {"inactive", "remission", "resolved"}, {"inactive"}, id="nested"),
        pytest.param(CLINICAL, "resolved", {"resolved"}, {"resolved", "inactive"}, id="leaf"),
        pytest.param(GENDER, "male", {"male"}, {"male"}, id="flat"),
        pytest.param(GENDER, "banana", set(), set(), id="unknown-code"),
    ],
)  # fmt: skip
def test_hierarchy(
    source: LocalSource, system: str, code: str, descendants: set[str], ancestors: set[str]
) -> None:
    assert source.descendants(system, code) == descendants
    assert source.ancestors(system, code) == ancestors


def test_v3_child_properties_add_second_parents(source: LocalSource) -> None:
    """v3 code systems list extra children with the `child` property: ActCode's COVMX has no
    nested concepts, but names LFEMX and PRDMX (nested elsewhere) as its children."""
    assert source.descendants(ACT_CODE, "COVMX") == {"COVMX", "LFEMX", "PRDMX"}
    assert "COVMX" in (source.ancestors(ACT_CODE, "LFEMX") or frozenset())
    assert source.descendants("http://loinc.org", "8867-4") is None


def test_translate_through_the_maps_of_a_source_value_set(source: LocalSource) -> None:
    answer = source.translate(system=GENDER, code="male", source=GENDER_VS)
    assert answer["parameter"][0] == {"name": "result", "valueBoolean": True}
    matches = [{part["name"]: part for part in m["part"]} for m in named(answer, "match")]
    assert [(m["concept"]["valueCoding"], m["source"]["valueUri"]) for m in matches] == [
        ({"system": V2_GENDER, "code": "M"}, CM_V2),
        ({"system": V3_GENDER, "code": "M"}, "http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v3"),
    ]  # fmt: skip
    assert {m["equivalence"]["valueCode"] for m in matches} == {"equal"}


def test_translate_by_map_url_and_in_reverse(source: LocalSource) -> None:
    forward = source.translate(system=GENDER, code="female", url=CM_V2)
    assert named(forward, "match")[0]["part"][1]["valueCoding"] == {
        "system": V2_GENDER,
        "code": "F",
    }
    back = source.translate(system=V2_GENDER, code="F", url=CM_V2, reverse=True)
    assert named(back, "match")[0]["part"][1]["valueCoding"] == {"system": GENDER, "code": "female"}


def test_translate_without_a_mapping_says_so(source: LocalSource) -> None:
    answer = source.translate(system=GENDER, code="banana")
    assert answer["parameter"] == [
        {"name": "result", "valueBoolean": False},
        {"name": "message", "valueString": f"No held ConceptMap maps `{GENDER}|banana`."},
    ]


def test_translate_with_an_unknown_map(source: LocalSource) -> None:
    with pytest.raises(UnknownConceptMap) as raised:
        source.translate(system=GENDER, code="male", url="http://example.org/ConceptMap/x")
    assert (
        raised.value.diagnostics
        == "ConceptMap `http://example.org/ConceptMap/x` is not held by this server."
    )
