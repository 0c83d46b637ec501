"""One rule kind at a time, on small hand-written snapshots."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.conformance import Profile
from gateway.conformance.compile import compile_snapshot
from tests.conformance.conftest import FakeTerminology, errors, found

Json = dict[str, Any]
URL = "http://example.org/StructureDefinition/test"
LOINC = "http://loinc.org"


def element(id_: str, min_: int = 0, max_: str = "1", *types: str, **more: Any) -> Json:
    base_max = more.pop("base_max", max_)
    return {
        "id": id_,
        "path": ".".join(part.partition(":")[0] for part in id_.split(".")),
        "min": min_,
        "max": max_,
        "base": {"path": id_, "min": 0, "max": base_max},
        "type": [{"code": t} for t in types],
        **more,
    }


def make(*elements: Json, type_: str = "Observation") -> Profile:
    definition = {
        "resourceType": "StructureDefinition",
        "url": URL,
        "type": type_,
        "snapshot": {"element": [element(type_, 0, "*"), *elements]},
    }
    root, _ = compile_snapshot(definition)
    return Profile(URL, type_, root)


def obs(**elements: Any) -> Json:
    return {"resourceType": "Observation", **elements}


def test_required_element_missing_is_named_by_its_path() -> None:
    rules = make(element("Observation.status", 1, "1", "code"))
    assert found(rules.validate(obs())) == {("Observation.status", "Observation.status")}
    assert found(rules.validate(obs(status="final"))) == set()


def test_too_many_items_and_wrong_array_shape() -> None:
    rules = make(
        element("Observation.note", 0, "1", "Annotation", base_max="*"),
        element("Observation.status", 0, "1", "code"),
    )
    two = obs(note=[{"text": "a"}, {"text": "b"}])
    assert found(rules.validate(two)) == {("Observation.note", "Observation.note")}
    assert found(rules.validate(obs(note={"text": "a"}))) == {
        ("Observation.note", "Observation.note")
    }
    assert found(rules.validate(obs(status=["final"]))) == {
        ("Observation.status", "Observation.status")
    }


def test_fixed_value_is_exact() -> None:
    fixed = {"system": LOINC, "code": "8867-4"}
    rules = make(element("Observation.code", 0, "1", "Coding", fixedCoding=fixed))
    assert found(rules.validate(obs(code=fixed))) == set()
    extra = {**fixed, "display": "Heart rate"}
    assert found(rules.validate(obs(code=extra))) == {("Observation.code", "Observation.code")}


def test_pattern_is_contained_and_each_array_item_matched() -> None:
    pattern = {"coding": [{"system": LOINC, "code": "8867-4"}]}
    rules = make(
        element("Observation.code", 0, "1", "CodeableConcept", patternCodeableConcept=pattern)
    )
    wider = {
        "coding": [
            {"system": "s", "code": "x"},
            {"system": LOINC, "code": "8867-4", "display": "HR"},
        ],
        "text": "HR",
    }
    assert found(rules.validate(obs(code=wider))) == set()
    other = {"coding": [{"system": LOINC, "code": "9279-1"}]}
    assert found(rules.validate(obs(code=other))) == {("Observation.code", "Observation.code")}


def test_numbers_in_patterns_compare_by_value() -> None:
    rules = make(element("Observation.valueInteger", 0, "1", "integer", fixedInteger=1))
    assert found(rules.validate(obs(valueInteger=1.0))) == set()


def test_choice_type_names_follow_the_allowed_types() -> None:
    rules = make(element("Observation.value[x]", 0, "1", "Quantity", "string"))
    assert found(rules.validate(obs(valueString="x"))) == set()
    assert found(rules.validate(obs(valueBoolean=True))) == {
        ("Observation.valueBoolean", "Observation.value[x]")
    }
    assert found(rules.validate(obs(valueString="x", valueQuantity={"value": 1}))) == {
        ("Observation", "Observation.value[x]")
    }


def test_unknown_element_is_an_error() -> None:
    rules = make(element("Observation.status", 0, "1", "code"))
    assert found(rules.validate(obs(colour="red"))) == {("Observation.colour", "Observation")}


def test_reference_target_type() -> None:
    subject = element("Observation.subject", 0, "1")
    subject["type"] = [
        {"code": "Reference", "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Patient"]}
    ]
    rules = make(subject)
    for ok in ("Patient/1", "http://x.org/fhir/Patient/1/_history/2"):
        assert found(rules.validate(obs(subject={"reference": ok}))) == set()
    assert found(rules.validate(obs(subject={"reference": "Group/1"}))) == {
        ("Observation.subject", "Observation.subject")
    }
    assert found(rules.validate(obs(subject={"type": "Device", "identifier": {"value": "d"}}))) == {
        ("Observation.subject", "Observation.subject")
    }
    contained = obs(
        subject={"reference": "#p"},
        contained=[{"resourceType": "Group", "id": "p", "type": "person", "actual": True}],
    )
    rules_contained = make(subject, element("Observation.contained", 0, "*", "Resource"))
    assert found(rules_contained.validate(contained)) == {
        ("Observation.subject", "Observation.subject")
    }
    [warning] = rules.validate(
        obs(subject={"reference": "urn:uuid:5b1c8b1e-0000-4000-8000-000000000000"})
    )
    assert (warning.severity, warning.expression) == ("warning", "Observation.subject")


BINDING_VS = "http://example.org/ValueSet/status"


@pytest.mark.parametrize(
    ("strength", "value", "members", "severity"),
    [
        pytest.param("required", "final", {("s", "final")}, None, id="required-inside"),
        pytest.param("required", "done", {("s", "final")}, "error", id="required-outside"),
        pytest.param("extensible", "done", {("s", "final")}, "warning", id="extensible-outside"),
        pytest.param("preferred", "done", {("s", "final")}, None, id="preferred-binds-nothing"),
        pytest.param("required", "done", None, "information", id="not-enumerable"),
    ],
)
def test_code_binding(strength: str, value: str, members: Any, severity: str | None) -> None:
    binding = {"strength": strength, "valueSet": BINDING_VS}
    rules = make(element("Observation.status", 0, "1", "code", binding=binding))
    issues = rules.validate(obs(status=value), FakeTerminology({BINDING_VS: members}))
    assert [(i.severity, i.expression, i.details_code) for i in issues] == (
        [(severity, "Observation.status", "Observation.status")] if severity else []
    )


def test_codeable_concept_binding_is_met_by_any_coding() -> None:
    binding = {"strength": "extensible", "valueSet": BINDING_VS}
    rules = make(element("Observation.code", 0, "1", "CodeableConcept", binding=binding))
    terminology = FakeTerminology({BINDING_VS: {(LOINC, "1")}})
    both = {"coding": [{"system": "other", "code": "x"}, {"system": LOINC, "code": "1"}]}
    assert rules.validate(obs(code=both), terminology) == []
    [issue] = rules.validate(obs(code={"coding": [{"system": "other", "code": "x"}]}), terminology)
    assert issue.severity == "warning"


def test_quantity_code_binds() -> None:
    binding = {"strength": "required", "valueSet": BINDING_VS}
    rules = make(element("Observation.valueQuantity", 0, "1", "Quantity", binding=binding))
    terminology = FakeTerminology({BINDING_VS: {("http://unitsofmeasure.org", "kg")}})
    kg = {"value": 1, "system": "http://unitsofmeasure.org", "code": "kg"}
    assert rules.validate(obs(valueQuantity=kg), terminology) == []
    cm = {**kg, "code": "cm"}
    assert errors(rules.validate(obs(valueQuantity=cm), terminology)) != []


def _sliced(rules: str = "open", min_: int = 1) -> Profile:
    slicing = {"discriminator": [{"type": "value", "path": "code"}], "rules": rules}
    return make(
        element("Observation.component", 0, "*", "BackboneElement", slicing=slicing),
        element("Observation.component.code", 1, "1", "Coding"),
        element("Observation.component:a", min_, "1", "BackboneElement", sliceName="a"),
        element("Observation.component:a.code", 1, "1", "Coding", fixedCoding={"code": "a"}),
        element("Observation.component:a.valueString", 1, "1", "string"),
    )


def test_slice_cardinality_and_rules_apply_to_the_items_that_meet_it() -> None:
    rules = _sliced()
    a = {"code": {"code": "a"}, "valueString": "x"}
    other = {"code": {"code": "b"}}
    assert found(rules.validate(obs(component=[other, a]))) == set()
    assert found(rules.validate(obs(component=[other]))) == {
        ("Observation.component", "Observation.component:a")
    }
    assert found(rules.validate(obs())) == {("Observation.component", "Observation.component:a")}
    assert found(rules.validate(obs(component=[{"code": {"code": "a"}}]))) == {
        ("Observation.component[0].valueString", "Observation.component:a.valueString")
    }
    assert found(rules.validate(obs(component=[a, a]))) == {
        ("Observation.component", "Observation.component:a")
    }


def test_closed_slicing_refuses_items_in_no_slice() -> None:
    rules = _sliced("closed", 0)
    assert found(rules.validate(obs(component=[{"code": {"code": "b"}}]))) == {
        ("Observation.component[0]", "Observation.component")
    }


def test_extension_slices_by_url() -> None:
    slicing = {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}
    rules = make(
        element("Observation.extension", 0, "*", "Extension", slicing=slicing),
        element("Observation.extension:x", 1, "1", "Extension", sliceName="x"),
        element("Observation.extension:x.url", 1, "1", "uri", fixedUri="http://x.org/x"),
        element("Observation.extension:x.valueBoolean", 1, "1", "boolean"),
    )
    good = obs(
        extension=[
            {"url": "http://x.org/y", "valueString": "s"},
            {"url": "http://x.org/x", "valueBoolean": True},
        ]
    )
    assert found(rules.validate(good)) == set()
    bad = obs(extension=[{"url": "http://x.org/x", "valueString": "s"}])
    assert found(rules.validate(bad)) == {
        ("Observation.extension[0].valueString", "Observation.extension:x"),
        ("Observation.extension[0].valueBoolean", "Observation.extension:x.valueBoolean"),
    }


def _constrained(expression: str, severity: str = "error") -> Profile:
    constraint = {
        "key": "t-1",
        "severity": severity,
        "human": "t-1 holds",
        "expression": expression,
    }
    return make(
        element("Observation.status", 0, "1", "code"),
        element("Observation.note", 0, "*", "Annotation", constraint=[constraint]),
    )


def test_invariant_error_and_warning() -> None:
    resource = obs(note=[{"text": "a"}, {"text": "b"}])
    [issue] = _constrained("text = 'a'").validate(resource)
    assert (issue.severity, issue.code, issue.expression, issue.details_code) == (
        "error",
        "invariant",
        "Observation.note[1]",
        "t-1",
    )
    assert issue.diagnostics == f"t-1: t-1 holds (profile {URL})"
    [warning] = _constrained("text = 'a'", "warning").validate(resource)
    assert warning.severity == "warning"


def test_invariant_sees_resource_and_root_resource() -> None:
    rules = _constrained("%resource.status = 'final' and %rootResource.status = 'final'")
    assert rules.validate(obs(status="final", note=[{"text": "a"}])) == []
    assert len(rules.validate(obs(status="draft", note=[{"text": "a"}]))) == 1


@pytest.mark.parametrize("expression", ["text ==== 1", "where(", "text.noSuchFunction()"])
def test_invariant_the_engine_cannot_evaluate_is_one_warning(expression: str) -> None:
    issues = _constrained(expression).validate(obs(note=[{"text": "a"}, {"text": "b"}]))
    assert [(i.severity, i.code, i.details_code) for i in issues] == [
        ("warning", "not-supported", "t-1")
    ]


def test_invariant_is_evaluated_only_where_its_element_occurs() -> None:
    assert _constrained("false").validate(obs(status="final")) == []


def test_resource_of_another_type_is_refused() -> None:
    rules = make(element("Observation.status", 0, "1", "code"))
    [issue] = rules.validate({"resourceType": "Patient"})
    assert (issue.severity, issue.expression) == ("error", "Observation")
