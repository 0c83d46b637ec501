"""The FHIRPath compiler: what each supported form yields, and what it refuses, with the reason."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fhir_profiles
from gateway.jsonio import ExactDecimal, Json
from gateway.search.fhirpath import (
    Element,
    UnsupportedExpression,
    compile_component,
    compile_expression,
)

CONDITION: Json = {
    "resourceType": "Condition",
    "id": "c1",
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}, {"code": "2"}]},
    "subject": {"reference": "Patient/p1"},
    "onsetAge": {"value": 3, "unit": "a"},
    "abatementDateTime": "2020-01-01",
    "evidence": [
        {"detail": [{"reference": "Observation/o1"}, {"reference": "#c"}]},
        {"detail": [{"reference": "http://example.org/fhir/Observation/o2/_history/3"}]},
    ],
    "contained": [{"resourceType": "DiagnosticReport", "id": "c"}],
    "extension": [
        {"url": "http://example.org/a", "valueString": "first"},
        {"url": "http://example.org/b", "valueCodeableConcept": {"text": "second"}},
    ],
}
PATIENT: Json = {
    "telecom": [{"system": "phone", "value": "555"}, {"system": "email", "value": "a@b"}],
    "name": [{"given": ["Ann", "Bea"], "family": "Smith"}, {"given": ["Ann"]}],
    "birthDate": "1970",
    "_birthDate": {"extension": [{"url": "http://example.org/x", "valueString": "y"}]},
}
OBSERVATION: Json = {
    "valueQuantity": {"value": ExactDecimal("1.50"), "unit": "kg"},
    "component": [
        {"code": {"text": "a"}, "valueQuantity": {"value": Decimal("2.0")}},
        {"code": {"text": "b"}, "valueCodeableConcept": {"text": "c"}},
    ],
}


def evaluate(resource_type: str, expression: str, resource: Json) -> list[Element]:
    return compile_expression(resource_type, expression)(resource)


@pytest.mark.parametrize(
    ("resource_type", "expression", "resource", "expected"),
    [
        pytest.param(
            "Condition", "Condition.code.coding.system", CONDITION,
            [("http://snomed.info/sct", "uri")], id="path-through-arrays",
        ),
        pytest.param(
            "Condition", "Condition.onset", CONDITION, [({"value": 3, "unit": "a"}, "Age")],
            id="choice-takes-type-from-key",
        ),
        pytest.param("Condition", "Condition.onset.as(Age)", CONDITION,
                     [({"value": 3, "unit": "a"}, "Age")], id="as-function"),
        pytest.param("Condition", "Condition.onset.as(dateTime)", CONDITION, [], id="as-other-type"),
        pytest.param("Condition", "Condition.onset.as(Quantity)", CONDITION,
                     [({"value": 3, "unit": "a"}, "Age")], id="as-parent-type"),
        pytest.param("Condition", "(Condition.abatement as dateTime)", CONDITION,
                     [("2020-01-01", "dateTime")], id="as-operator-in-parentheses"),
        pytest.param("Condition", "Condition.abatement.ofType(dateTime)", CONDITION,
                     [("2020-01-01", "dateTime")], id="of-type"),
        pytest.param(
            "Condition",
            "AllergyIntolerance.patient | Condition.subject.where(resolve() is Patient)",
            CONDITION, [({"reference": "Patient/p1"}, "Reference")], id="branch-of-the-type",
        ),
        pytest.param(
            "Condition", "Condition.evidence.detail.where(resolve() is Observation)", CONDITION,
            [({"reference": "Observation/o1"}, "Reference"),
             ({"reference": "http://example.org/fhir/Observation/o2/_history/3"}, "Reference")],
            id="resolve-relative-and-absolute",
        ),
        pytest.param(
            "Condition", "Condition.evidence.detail.where(resolve() is DiagnosticReport)",
            CONDITION, [({"reference": "#c"}, "Reference")], id="resolve-contained",
        ),
        pytest.param(
            "Condition", "Condition.subject.where(resolve() is Group)", CONDITION, [],
            id="resolve-other-type",
        ),
        pytest.param(
            "Condition", "Condition.subject.where(resolve().is(Patient))", CONDITION,
            [({"reference": "Patient/p1"}, "Reference")], id="resolve-is-function",
        ),
        pytest.param("Condition", "Resource.id | DomainResource.text", CONDITION,
                     [("c1", "string")], id="abstract-roots"),
        pytest.param("Condition", "Condition.code.coding[1].code", CONDITION,
                     [("2", "code")], id="indexer"),
        pytest.param("Condition", "Condition.code.coding.first().code", CONDITION,
                     [("1", "code")], id="first"),
        pytest.param("Condition", "Condition.code.coding[5]", CONDITION, [], id="index-past-end"),
        pytest.param("Condition", "Condition.extension('http://example.org/b').value.text",
                     CONDITION, [("second", "string")], id="extension-function"),
        pytest.param(
            "Condition", "Condition.extension.where(url = 'http://example.org/a').value",
            CONDITION, [("first", "string")], id="extension-where-url",
        ),
        pytest.param(
            "Condition", r"Condition.extension.where(url = 'http://example.org/\u0061').value",
            CONDITION, [("first", "string")], id="unicode-escape-in-literal",
        ),
        pytest.param(
            "Condition", r"Condition.extension.where(url = 'it\'s')", {"extension": [{"url": "it's"}]},
            [({"url": "it's"}, "Extension")], id="quote-escape-in-literal",
        ),
        pytest.param("Condition", "Condition.code.coding.where(system='x' and code='1')",
                     CONDITION, [], id="where-and-false"),
        pytest.param(
            "Condition",
            "Condition.code.coding.where(system='http://snomed.info/sct' and code='1').code",
            CONDITION, [("1", "code")], id="where-and-true",
        ),
        pytest.param("Condition", "Condition.code.coding.where(system.exists().not()).code",
                     CONDITION, [("2", "code")], id="where-not-exists"),
        pytest.param("Condition", "Condition.severity.exists()", CONDITION,
                     [(False, "boolean")], id="exists-false"),
        pytest.param("Condition", "Condition.code.coding.exists(code = '2')", CONDITION,
                     [(True, "boolean")], id="exists-with-criterion"),
        pytest.param("Condition", "Condition.note.empty()", CONDITION,
                     [(True, "boolean")], id="empty"),
        pytest.param("Patient", "Patient.telecom.where(system='phone')", PATIENT,
                     [({"system": "phone", "value": "555"}, "ContactPoint")], id="where-system"),
        pytest.param("Patient", "Patient.name.given", PATIENT,
                     [("Ann", "string"), ("Bea", "string"), ("Ann", "string")],
                     id="path-keeps-duplicates"),
        pytest.param("Patient", "Patient.name.given | Patient.name.family", PATIENT,
                     [("Ann", "string"), ("Bea", "string"), ("Smith", "string")],
                     id="union-removes-duplicates"),
        pytest.param("Patient", "Patient.birthDate", PATIENT, [("1970", "date")],
                     id="primitive-extension-ignored"),
        pytest.param("Observation", "(Observation.value as Quantity).value", OBSERVATION,
                     [(ExactDecimal("1.50"), "decimal")], id="decimal-passed-through"),
        pytest.param("Observation", "Observation.value.as(DateTime)",
                     {"valueDateTime": "2020"}, [("2020", "dateTime")],
                     id="system-type-name-is-the-fhir-primitive"),
        pytest.param(
            "Bundle", "Bundle.entry[0].resource",
            {"entry": [{"resource": {"resourceType": "Composition", "id": "x"}}, {}]},
            [({"resourceType": "Composition", "id": "x"}, "Composition")],
            id="resource-element-takes-resource-type",
        ),
        pytest.param(
            "Bundle", "Bundle.entry.resource.ofType(Patient).id",
            {"entry": [{"resource": {"resourceType": "Patient", "id": "p"}},
                       {"resource": {"resourceType": "Group", "id": "g"}}]},
            [("p", "string")], id="of-type-resource",
        ),
        pytest.param("Questionnaire", "Questionnaire.item.item.linkId",
                     {"item": [{"item": [{"linkId": "1.1"}]}]}, [("1.1", "string")],
                     id="content-reference"),
        pytest.param("Condition", "Condition.code.coding.where(code = 2)", CONDITION, [],
                     id="string-is-not-a-number"),
        pytest.param("Condition", "Condition.subject.reference is string", CONDITION,
                     [(True, "boolean")], id="is-operator"),
    ],
)  # fmt: skip
def test_supported_forms_yield_fhirpath_values(
    resource_type: str, expression: str, resource: Json, expected: list[Element]
) -> None:
    assert evaluate(resource_type, expression, resource) == expected


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        pytest.param({}, False, id="absent"),
        pytest.param({"deceasedBoolean": False}, False, id="false"),
        pytest.param({"deceasedBoolean": True}, True, id="true"),
        pytest.param({"deceasedDateTime": "2020-02-02"}, True, id="date"),
    ],
)
def test_patient_deceased_is_one_boolean(resource: Json, expected: bool) -> None:
    expression = "Patient.deceased.exists() and Patient.deceased != false"
    assert evaluate("Patient", expression, resource) == [(expected, "boolean")]


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("urn:uuid:6f1d2c4e-0000-4000-8000-000000000000", id="urn-uuid"),
        pytest.param("Patient?identifier=x", id="conditional"),
        pytest.param("#missing", id="contained-absent"),
        pytest.param("Banana/1", id="not-a-type"),
        pytest.param("Patient/", id="no-id"),
        pytest.param(7, id="not-a-string"),
    ],
)
def test_unresolvable_references_are_dropped(reference: Any) -> None:
    condition = {"subject": {"reference": reference, "type": "Patient"}}
    assert evaluate("Condition", "Condition.subject.where(resolve() is Patient)", condition) == []


def test_bare_hash_is_the_resource_itself() -> None:
    condition = {"subject": {"reference": "#"}}
    found = evaluate("Condition", "Condition.subject.where(resolve() is Condition)", condition)
    assert found == [({"reference": "#"}, "Reference")]


@pytest.mark.parametrize(
    ("resource_type", "expression", "reason"),
    [
        pytest.param("Condition", "Patient.name | Observation.code",
                     "`Patient.name | Observation.code` has no branch for Condition",
                     id="no-branch"),
        pytest.param("Condition", "Condition.foo", "R4 defines no element `foo` on Condition",
                     id="unknown-element"),
        pytest.param("Condition", "Condition.onset as Reference",
                     "the element is never a `Reference` in R4", id="impossible-type"),
        pytest.param("Condition", "Condition.onset as Banana", "`Banana` is not an R4 type",
                     id="unknown-type"),
        pytest.param("Condition", "Condition.subject.resolve().id",
                     "`resolve()` reads the referenced resource, which the index of one "
                     "resource does not have; only `where(resolve() is Type)` is supported",
                     id="resolve-alone"),
        pytest.param("Condition", "Condition.code.coding.count()",
                     "the FHIRPath function `count()` is not supported", id="function"),
        pytest.param("Condition", "Condition.stage.count() > 1",
                     "the FHIRPath function `count()` is not supported", id="operator-operand"),
        pytest.param("Condition", "Condition.id + 'x'",
                     "the FHIRPath operator `+` is not supported", id="operator"),
        pytest.param("Condition", "Condition.code.",
                     "`Condition.code.` is not FHIRPath the gateway reads: it ends too early",
                     id="syntax"),
        pytest.param("Condition", "Condition.code.coding.where(system = %ucum)",
                     "the FHIRPath variable `%ucum` is not supported", id="variable"),
        pytest.param("Condition", "Condition.code.coding[Condition.id]",
                     "an indexer other than a literal 0, 1, 2... is not supported",
                     id="indexer"),
        pytest.param("Condition", "Condition.code.coding[-1]",
                     "an indexer other than a literal 0, 1, 2... is not supported",
                     id="negative-indexer"),
        pytest.param("Banana", "Banana.id", "`Banana` is not an R4 resource type",
                     id="unknown-resource-type"),
    ],
)  # fmt: skip
def test_unsupported_forms_say_why(resource_type: str, expression: str, reason: str) -> None:
    with pytest.raises(UnsupportedExpression) as raised:
        compile_expression(resource_type, expression)
    assert str(raised.value) == reason


def test_unknown_resource_type_of_a_resource_element_stays_resource() -> None:
    bundle = {"entry": [{"resource": {"resourceType": "Banana", "id": "b"}}]}
    assert evaluate("Bundle", "Bundle.entry.resource", bundle) == [
        (bundle["entry"][0]["resource"], "Resource")
    ]


def test_component_is_relative_to_the_composite_value() -> None:
    extract = compile_component(
        "Observation", "Observation | Observation.component", "value.as(Quantity)"
    )
    component = (OBSERVATION["component"][0], "Observation.component")
    assert extract(component, OBSERVATION) == [({"value": Decimal("2.0")}, "Quantity")]
    assert extract((OBSERVATION, "Observation"), OBSERVATION) == [
        (OBSERVATION["valueQuantity"], "Quantity")
    ]


def test_component_reads_the_resource_through_percent_resource() -> None:
    sequence = {"referenceSeq": {"chromosome": {"text": "1"}}, "variant": [{"start": 5}]}
    extract = compile_component(
        "MolecularSequence", "MolecularSequence.variant", "%resource.referenceSeq.chromosome"
    )
    found = extract((sequence["variant"][0], "MolecularSequence.variant"), sequence)
    assert found == [({"text": "1"}, "CodeableConcept")]


def test_component_path_is_checked_against_the_composite_types() -> None:
    with pytest.raises(UnsupportedExpression, match="R4 defines no element `start`"):
        compile_component("Observation", "Observation.component", "start")


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param({"code": "not an object"}, id="scalar-where-object"),
        pytest.param({"code": {"coding": [None, 3, "x", {"system": 5}]}}, id="odd-array-items"),
        pytest.param({"code": {"coding": {"system": "s"}}}, id="object-where-array"),
        pytest.param({"subject": ["Patient/1"]}, id="array-where-object"),
        pytest.param({"contained": 5, "subject": {"reference": "#c"}}, id="contained-number"),
        pytest.param({"extension": 5, "code": {"extension": {"url": "u"}}}, id="extension-odd"),
        pytest.param({"contained": [{"resourceType": ["Patient"]}]}, id="resource-type-list"),
    ],
)
def test_malformed_json_never_raises(resource: Json) -> None:
    for expression in (
        "Condition.code.coding.where(system = 's').code",
        "Condition.subject.where(resolve() is Patient)",
        "Condition.code.coding.system",
        "Condition.extension('u') | Condition.code.extension('u')",
        "Condition.contained.id",
    ):
        compile_expression("Condition", expression)(resource)


@cache
def _shapes(resource_type: str) -> st.SearchStrategy[Json]:
    """Objects keyed by element names of the type and of the datatypes search reads, each
    holding any JSON: the right names with values of any shape."""
    elements = fhir_profiles.elements()
    kinds = [resource_type, "Reference", "CodeableConcept", "Coding", "Identifier", "Extension"]
    kinds += [key for key in elements if key.startswith(f"{resource_type}.")]
    names = sorted({name for kind in kinds for name in elements[kind]} | {"resourceType"})
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    scalars |= st.sampled_from(["Patient/1", "#c", "urn:uuid:x", "Observation", "phone"])
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(names), inner, max_size=4)
        ),
        max_leaves=12,
    )
    return st.dictionaries(st.sampled_from(names), values, max_size=8)


@pytest.mark.parametrize("resource_type", ["Condition", "Patient", "Bundle", "Observation"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_json_shape_extracts_without_error(resource_type: str, data: st.DataObject) -> None:
    resource = data.draw(_shapes(resource_type))
    for (base, code), definition in fhir_profiles.search_parameters().items():
        if (
            base == resource_type
            and definition["type"] != "special"
            and code not in ("_text", "_content")
        ):
            found = compile_expression(resource_type, definition["expression"])(resource)
            assert all(isinstance(kind, str) for _, kind in found)
