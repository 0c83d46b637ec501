"""`mappers.r4.validate`: one issue per problem, with its FHIRPath expression and issue code.

Shape and binding checks: https://hl7.org/fhir/R4/json.html, terminologies.html#required;
cardinality and unknown elements come from fhir.resources.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import InvalidResource, Issue
from mappers.r4 import validate

FhirJson = dict[str, Any]

OBSERVATION: FhirJson = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "Weight"},
}
ENCOUNTER: FhirJson = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}
MEDICATION_STATEMENT: FhirJson = {
    "resourceType": "MedicationStatement",
    "status": "active",
    "medicationCodeableConcept": {"text": "Metformin"},
    "subject": {"reference": "Patient/1"},
}


def patient(**elements: Any) -> FhirJson:
    return {"resourceType": "Patient", **elements}


def observation(**elements: Any) -> FhirJson:
    return {**OBSERVATION, **elements}


def encounter(**elements: Any) -> FhirJson:
    return {**ENCOUNTER, **elements}


def issues_of(resource: FhirJson) -> list[tuple[str | None, str]]:
    with pytest.raises(InvalidResource) as raised:
        validate(resource)
    return [(issue.expression, issue.code) for issue in raised.value.issues]


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(patient(), id="bare-patient"),
        pytest.param(OBSERVATION, id="minimal-observation"),
        pytest.param(ENCOUNTER, id="minimal-encounter"),
        pytest.param(MEDICATION_STATEMENT, id="minimal-medication-statement"),
        pytest.param(
            patient(name=[{"given": ["Ada", None], "_given": [None, {"id": "g2"}]}]),
            id="null-given-with-matching-extension",
        ),
        pytest.param(patient(_birthDate={"id": "b"}), id="primitive-extension-without-value"),
    ],
)
def test_valid_resource_passes(resource: FhirJson) -> None:
    validate(resource)


@pytest.mark.parametrize(
    ("resource", "issues"),
    [
        # JSON types of primitives: https://hl7.org/fhir/R4/json.html#primitive
        pytest.param(
            patient(active="true"), [("Patient.active", "invalid")], id="boolean-as-string"
        ),
        pytest.param(patient(active=1), [("Patient.active", "invalid")], id="boolean-as-number"),
        pytest.param(
            observation(valueQuantity={"value": "185.4", "code": "[lb_av]"}),
            [("Observation.valueQuantity.value", "invalid")],
            id="decimal-as-string",
        ),
        pytest.param(
            observation(valueQuantity={"value": True}),
            [("Observation.valueQuantity.value", "invalid")],
            id="decimal-as-boolean",
        ),
        pytest.param(
            observation(valueInteger=1.5),
            [("Observation.valueInteger", "invalid")],
            id="integer-as-float",
        ),
        pytest.param(
            patient(birthDate=19741225), [("Patient.birthDate", "invalid")], id="date-as-number"
        ),
        pytest.param(
            patient(name=[{"family": "   "}]),
            [("Patient.name[0].family", "invalid")],
            id="whitespace-string",
        ),
        pytest.param(
            patient(maritalStatus="married"),
            [("Patient.maritalStatus", "invalid")],
            id="string-for-complex-type",
        ),
        pytest.param(
            patient(_birthDate="x"),
            [("Patient._birthDate", "invalid")],
            id="primitive-extension-not-object",
        ),
        # null, [] and {}: https://hl7.org/fhir/R4/json.html ("empty ... not allowed")
        pytest.param(patient(gender=None), [("Patient.gender", "invalid")], id="null"),
        pytest.param(
            patient(name=[{"given": ["Ada", None]}]),
            [("Patient.name[0].given[1]", "invalid")],
            id="null-in-array-without-primitive-extension",
        ),
        pytest.param(patient(name=[]), [("Patient.name", "invalid")], id="empty-array"),
        pytest.param(
            patient(maritalStatus={}), [("Patient.maritalStatus", "invalid")], id="empty-object"
        ),
        pytest.param(
            patient(name=[{}]), [("Patient.name[0]", "invalid")], id="empty-object-in-array"
        ),
        # cardinality of the JSON representation
        pytest.param(
            patient(name={"family": "Okafor"}), [("Patient.name", "invalid")], id="single-for-array"
        ),
        pytest.param(
            patient(gender=["female"]), [("Patient.gender", "invalid")], id="array-for-single"
        ),
        # required bindings: https://hl7.org/fhir/R4/terminologies.html#required
        pytest.param(
            patient(gender="F"), [("Patient.gender", "code-invalid")], id="patient-gender"
        ),
        pytest.param(
            patient(contact=[{"name": {"family": "Okafor"}, "gender": "woman"}]),
            [("Patient.contact[0].gender", "code-invalid")],
            id="patient-contact-gender",
        ),
        pytest.param(
            patient(name=[{"use": "nick", "family": "Okafor"}]),
            [("Patient.name[0].use", "code-invalid")],
            id="human-name-use",
        ),
        pytest.param(
            observation(status="done"),
            [("Observation.status", "code-invalid")],
            id="observation-status",
        ),
        pytest.param(
            observation(valueQuantity={"value": 1, "comparator": "=="}),
            [("Observation.valueQuantity.comparator", "code-invalid")],
            id="quantity-comparator",
        ),
        pytest.param(
            encounter(status="completed"),
            [("Encounter.status", "code-invalid")],
            id="encounter-status",
        ),
        pytest.param(
            encounter(statusHistory=[{"status": "done", "period": {"start": "2019-05"}}]),
            [("Encounter.statusHistory[0].status", "code-invalid")],
            id="encounter-status-history-status",
        ),
        pytest.param(
            {**MEDICATION_STATEMENT, "status": "taken"},
            [("MedicationStatement.status", "code-invalid")],
            id="medication-statement-status",
        ),
        pytest.param(
            observation(contained=[{"resourceType": "Patient", "id": "p", "gender": "x"}]),
            [("Observation.contained[0].gender", "code-invalid")],
            id="binding-inside-contained-resource",
        ),
        # several problems: all of them, in document order
        pytest.param(
            patient(active="yes", gender="F", name=[], birthDate=None),
            [
                ("Patient.active", "invalid"),
                ("Patient.gender", "code-invalid"),
                ("Patient.name", "invalid"),
                ("Patient.birthDate", "invalid"),
            ],
            id="several-shape-problems",
        ),
        # what fhir.resources reports once the shape is right
        pytest.param(
            {"resourceType": "Observation", "status": "final"},
            [("Observation.code", "required")],
            id="observation-code-missing",
        ),
        pytest.param(
            {"resourceType": "Encounter", "status": "finished"},
            [("Encounter.class", "required")],
            id="encounter-class-missing",
        ),
        pytest.param(
            {"resourceType": "Encounter", "class": {"code": "AMB"}},
            [("Encounter.status", "required")],
            id="encounter-status-missing",
        ),
        pytest.param(
            {k: v for k, v in MEDICATION_STATEMENT.items() if k != "subject"},
            [("MedicationStatement.subject", "required")],
            id="medication-statement-subject-missing",
        ),
        pytest.param(
            patient(nickname="Addie"), [("Patient.nickname", "structure")], id="unknown-element"
        ),
        pytest.param(
            patient(name=[{"family": "Okafor", "nick": "Ada"}]),
            [("Patient.name[0].nick", "structure")],
            id="unknown-nested-element",
        ),
        pytest.param(
            observation(valueQuantity={"value": 1}, valueString="one"),
            [("Observation", "structure")],
            id="two-value-choices",
        ),
        pytest.param(
            patient(birthDate="2019-13"),
            [("Patient.birthDate", "structure")],
            id="date-out-of-range",
        ),
        pytest.param(
            observation(effectiveDateTime="2019-05-06T10:20:30"),
            [("Observation.effectiveDateTime", "structure")],
            id="time-without-zone",
        ),
        pytest.param(
            {"resourceType": "Patientt"}, [("resourceType", "invalid")], id="unknown-resource-type"
        ),
    ],
)
def test_invalid_resource_gives_one_issue_per_problem(
    resource: FhirJson, issues: list[tuple[str, str]]
) -> None:
    assert issues_of(resource) == issues


@pytest.mark.parametrize(
    ("resource", "issues"),
    [
        pytest.param(
            {"resourceType": "Encounter"},
            [("Encounter.status", "required"), ("Encounter.class", "required")],
            id="encounter-class-and-status",
        ),
        pytest.param(
            {"resourceType": "Observation"},
            [("Observation.status", "required"), ("Observation.code", "required")],
            id="observation-code-and-status",
        ),
    ],
)
def test_every_missing_required_element_is_reported(
    resource: FhirJson, issues: list[tuple[str, str]]
) -> None:
    """All at once, in the order the StructureDefinition lists the elements."""
    assert issues_of(resource) == issues


def test_required_binding_issue_names_the_value_set() -> None:
    with pytest.raises(InvalidResource) as raised:
        validate(patient(gender="F"))

    assert raised.value.issues == [
        Issue(
            "`F` is not in the required value set "
            "http://hl7.org/fhir/ValueSet/administrative-gender.",
            code="code-invalid",
            expression="Patient.gender",
            details_code="MSG_CODE_INVALID",
        )
    ]
    assert raised.value.diagnostics == (
        "Invalid Patient: `F` is not in the required value set "
        "http://hl7.org/fhir/ValueSet/administrative-gender."
    )


def test_many_problems_are_summarised_and_capped_at_fifty() -> None:
    resource = patient(name=[{"use": "nick"} for _ in range(60)])

    with pytest.raises(InvalidResource) as raised:
        validate(resource)

    assert raised.value.diagnostics == "Invalid Patient: 50 problems"
    assert [issue.expression for issue in raised.value.issues] == [
        f"Patient.name[{i}].use" for i in range(50)
    ]
