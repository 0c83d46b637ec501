"""`mappers.r4.validate`: one issue per problem, with its FHIRPath expression and issue code.

Shape and binding checks: https://hl7.org/fhir/R4/json.html, terminologies.html#required;
string rules: datatypes.html#primitive; cardinality and unknown elements that look like element
names come from fhir.resources. Every test runs with both engines (VALIDATION_ENGINE): the
compiled walk must answer what the shape walk and fhir.resources answer together.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import InvalidResource, Issue
from gateway.jsonio import Json
from mappers.primitives import MAX_STRING
from mappers.r4 import Engine, validate

UUID = "c757873d-ec9a-4326-a141-556f43239520"

OBSERVATION: Json = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "Weight"},
}
ENCOUNTER: Json = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}}
MEDICATION_STATEMENT: Json = {
    "resourceType": "MedicationStatement",
    "status": "active",
    "medicationCodeableConcept": {"text": "Metformin"},
    "subject": {"reference": "Patient/1"},
}


def patient(**elements: Any) -> Json:
    return {"resourceType": "Patient", **elements}


def observation(**elements: Any) -> Json:
    return {**OBSERVATION, **elements}


def encounter(**elements: Any) -> Json:
    return {**ENCOUNTER, **elements}


@pytest.fixture(params=["compiled", "fhir.resources"])
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.param
    return chosen


def issues_of(resource: Json, engine: Engine) -> list[tuple[str | None, str]]:
    with pytest.raises(InvalidResource) as raised:
        validate(resource, engine=engine)
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
        pytest.param(patient(fhir_comments=["a comment"]), id="fhir-comments"),
        pytest.param(
            patient(name=[{"text": "Ada\tLovelace\r\n", "family": " Lovelace"}]),
            id="tab-cr-lf-and-leading-space",
        ),
        pytest.param(patient(name=[{"family": "a" * MAX_STRING}]), id="string-of-1-mb"),
        pytest.param(patient(name=[{"family": "Ren\u00e9e \u200b\U0001f600"}]), id="unicode"),
        pytest.param(patient(id="a" * 64), id="id-of-64"),
        pytest.param(patient(implicitRules="http://example.org/rules"), id="uri"),
        pytest.param(patient(photo=[{"data": "aGVs\nbG8/"}]), id="base64-with-slash-and-newline"),
        pytest.param(
            patient(extension=[{"url": "http://e", "valueUuid": f"urn:uuid:{UUID}"}]), id="uuid"
        ),
        pytest.param(
            observation(issued="2016-12-31T23:59:60Z", effectiveDateTime="2000-02-29"),
            id="leap-second-and-leap-day",
        ),
        pytest.param(
            {
                "resourceType": "Observation",
                "_status": {"extension": [{"url": "http://e", "valueCode": "unknown"}]},
                "code": {"text": "x"},
            },
            id="required-primitive-given-as-extensions",
        ),
        pytest.param(
            patient(
                language="en US", text={"status": "generated", "div": "<div/>", "_div": {"id": "d"}}
            ),
            id="code-with-one-space-and-div-extension",
        ),
        pytest.param(
            patient(fhir_comments="c", name=[{"fhir_comments": ["a", ""]}]),
            id="fhir-comments-strings",
        ),
    ],
)
def test_valid_resource_passes(resource: Json, engine: Engine) -> None:
    validate(resource, engine=engine)


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
            patient(name=[{"family": "Lovelace", "fhir_comments": None}]),
            [("Patient.name[0].fhir_comments", "invalid")],
            id="null-fhir-comments",  # found by test_hostile_input: stored as no key at all
        ),
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
        pytest.param(
            {"resourceType": "DomainResource"}, [("resourceType", "invalid")], id="abstract-type"
        ),
        pytest.param(
            patient(contained=[{"resourceType": "HumanName", "family": "x"}]),
            [("Patient.contained[0]", "invalid")],
            id="datatype-as-contained-resource",
        ),
        # fhir.resources lets a datatype carry `resourceType: null`; it was stored, then dropped
        pytest.param(
            patient(name=[{"family": "x", "resourceType": None}]),
            [("Patient.name[0].resourceType", "structure")],
            id="resource-type-in-a-datatype",
        ),
        # keys no element has: reported here, never passed on to fhir.resources or MongoDB
        pytest.param(patient(**{"": 1}), [("Patient.``", "structure")], id="empty-key"),
        pytest.param(
            patient(name=[{"": "x"}]), [("Patient.name[0].``", "structure")], id="nested-empty-key"
        ),
        pytest.param(
            patient(**{"$where": "1"}), [("Patient.`$where`", "structure")], id="dollar-key"
        ),
        pytest.param(patient(**{"a.b": 1}), [("Patient.`a.b`", "structure")], id="dotted-key"),
        pytest.param(patient(**{"_": 1}), [("Patient.`_`", "structure")], id="underscore-key"),
        pytest.param(patient(**{"\u0000": 1}), [("Patient.`\\u0000`", "structure")], id="nul-key"),
        pytest.param(patient(**{"a`b": 1}), [("Patient.`a\\`b`", "structure")], id="backtick-key"),
        pytest.param(
            patient(_gender={"$x": 1}),
            [("Patient._gender.`$x`", "structure")],
            id="key-in-extension",
        ),
        pytest.param(
            patient(contained=[{"resourceType": "Patient", "": 1}]),
            [("Patient.contained[0].``", "structure")],
            id="key-in-contained-resource",
        ),
        # strings: datatypes.html#string (1 MB, no control characters) and the formats
        # fhir.resources does not check
        pytest.param(
            patient(name=[{"family": "a" * (MAX_STRING + 1)}]),
            [("Patient.name[0].family", "too-long")],
            id="string-over-1-mb",
        ),
        pytest.param(
            patient(name=[{"given": ["a" * (MAX_STRING + 1)]}]),
            [("Patient.name[0].given[0]", "too-long")],
            id="string-in-array-over-1-mb",
        ),
        pytest.param(
            patient(name=[{"family": "a\u0000b"}]),
            [("Patient.name[0].family", "invalid")],
            id="nul-in-string",
        ),
        pytest.param(
            patient(name=[{"given": ["a\u001fb"]}]),
            [("Patient.name[0].given[0]", "invalid")],
            id="control-in-string-array",
        ),
        pytest.param(
            patient(language="en\u0001"), [("Patient.language", "invalid")], id="control-in-code"
        ),
        pytest.param(
            patient(text={"status": "generated", "div": "<div>\u000b</div>"}),
            [("Patient.text.div", "invalid")],
            id="control-in-xhtml",
        ),
        pytest.param(patient(id="a" * 65), [("Patient.id", "too-long")], id="id-over-64"),
        pytest.param(
            patient(contained=[{"resourceType": "Patient", "id": "c" * 65}]),
            [("Patient.contained[0].id", "too-long")],
            id="contained-id-over-64",
        ),
        pytest.param(
            patient(implicitRules="http://example.org/a rule"),
            [("Patient.implicitRules", "invalid")],
            id="uri-with-space",
        ),
        pytest.param(
            patient(meta={"profile": ["http://example.org/\u00a0p"]}),
            [("Patient.meta.profile[0]", "invalid")],
            id="canonical-with-unicode-space",
        ),
        pytest.param(
            patient(extension=[{"url": "http://e", "valueUuid": UUID}]),
            [("Patient.extension[0].valueUuid", "invalid")],
            id="uuid-without-urn",
        ),
        pytest.param(
            patient(photo=[{"data": "aGVsbG8=!"}]),
            [("Patient.photo[0].data", "invalid")],
            id="base64-outside-alphabet",
        ),
        # fhir.resources' formats and rules, which the compiled walk checks as it does
        pytest.param(
            patient(language="en  US"),
            [("Patient.language", "structure")],
            id="code-with-two-spaces",
        ),
        pytest.param(
            patient(language="en "),
            [("Patient.language", "structure")],
            id="code-with-trailing-space",
        ),
        pytest.param(patient(id="a_b"), [("Patient.id", "structure")], id="id-with-underscore"),
        pytest.param(
            patient(birthDate="2019-02-29"),
            [("Patient.birthDate", "structure")],
            id="day-not-on-calendar",
        ),
        pytest.param(
            observation(effectiveDateTime="2019-04-31T10:00:00Z"),
            [("Observation.effectiveDateTime", "structure")],
            id="date-time-not-on-calendar",
        ),
        pytest.param(
            patient(
                extension=[{"url": "http://e", "valueUuid": f"urn:uuid:{UUID[:14]}1{UUID[15:]}"}]
            ),
            [("Patient.extension[0].valueUuid", "structure")],
            id="uuid-of-version-1",
        ),
        pytest.param(
            patient(
                extension=[{"url": "http://e", "valueUuid": f"urn:uuid:{UUID[:19]}c{UUID[20:]}"}]
            ),
            [("Patient.extension[0].valueUuid", "structure")],
            id="uuid-of-another-variant",  # RFC 4122 4.1.1: 8, 9, a or b
        ),
        pytest.param(
            patient(extension=[{"url": "http://e", "valueOid": "urn:oid:3.1"}]),
            [("Patient.extension[0].valueOid", "structure")],
            id="oid-arc-over-2",
        ),
        pytest.param(
            patient(photo=[{"data": "aGVsbG8"}]),
            [("Patient.photo[0].data", "structure")],
            id="base64-without-padding",
        ),
        pytest.param(
            patient(photo=[{"size": -1}]),
            [("Patient.photo[0].size", "structure")],
            id="negative-unsigned-int",
        ),
        pytest.param(
            patient(extension=[{"url": "http://e", "valuePositiveInt": 0}]),
            [("Patient.extension[0].valuePositiveInt", "structure")],
            id="zero-positive-int",
        ),
        pytest.param(
            patient(multipleBirthInteger=2**31),
            [("Patient.multipleBirthInteger", "structure")],
            id="integer-over-32-bits",
        ),
        pytest.param(
            patient(_id={"id": "x"}), [("Patient._id", "structure")], id="extension-of-resource-id"
        ),
        pytest.param(
            patient(extension=[{"url": "http://e", "_url": {"id": "x"}, "valueString": "a"}]),
            [("Patient.extension[0]._url", "structure")],
            id="extension-of-extension-url",
        ),
        pytest.param(
            patient(
                extension=[{"url": "http://e", "_valueString": {"id": "x"}, "valueInteger": 1}]
            ),
            [("Patient.extension[0]._valueString", "structure")],
            id="extension-value-with-extensions",  # fhir.resources' Extension has no `_value*`
        ),
        pytest.param(
            patient(_name={"id": "x"}),
            [("Patient._name", "structure")],
            id="extension-of-complex-element",
        ),
        pytest.param(
            patient(name=[{"given": ["Ada"], "_given": {"id": "g"}}]),
            [("Patient.name[0]._given", "structure")],
            id="single-extension-for-array",
        ),
        pytest.param(
            patient(name=[{"given": ["Ada"], "_given": None}]),
            [("Patient.name[0]._given", "invalid")],
            id="null-extensions-of-an-array",  # fhir.resources took it, and it was stored
        ),
        pytest.param(
            {"resourceType": "Observation", "_status": {"id": "s"}, "code": {"text": "x"}},
            [("Observation.status", "required")],
            id="required-primitive-with-extension-without-extensions",
        ),
        pytest.param(
            patient(meta={"project": "p"}),
            [("Patient.meta.project", "structure")],
            id="medplum-meta-element",
        ),
        pytest.param(
            patient(contained=[{"resourceType": "MedicinalProduct"}]),
            [("Patient.contained[0]", "invalid")],
            id="contained-type-fhir-resources-lacks",  # was a KeyError, a 500
        ),
        pytest.param(
            patient(deceasedBoolean=True, deceasedDateTime="2019-05-06"),
            [("Patient", "structure")],
            id="two-deceased-choices",
        ),
        pytest.param(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": patient(nickname="x")}],
            },
            [("Bundle.entry[0].resource.nickname", "structure")],
            id="unknown-element-in-bundle-entry",
        ),
    ],
)
def test_invalid_resource_gives_one_issue_per_problem(
    resource: Json, issues: list[tuple[str, str]], engine: Engine
) -> None:
    assert issues_of(resource, engine) == issues


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
    resource: Json, issues: list[tuple[str, str]], engine: Engine
) -> None:
    """All at once, in the order the StructureDefinition lists the elements."""
    assert issues_of(resource, engine) == issues


def test_fhir_comments_are_text_under_both_engines(engine: Engine) -> None:
    """fhir.resources reports one issue per branch of its `str | list[str]` (paths ending in
    `.str` and `.list[str]`); the compiled walk reports the element."""
    with pytest.raises(InvalidResource) as raised:
        validate(patient(fhir_comments=1), engine=engine)

    assert {i.expression.split(".")[1] for i in raised.value.issues if i.expression} == {
        "fhir_comments"
    }


def test_required_binding_issue_names_the_value_set(engine: Engine) -> None:
    with pytest.raises(InvalidResource) as raised:
        validate(patient(gender="F"), engine=engine)

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


def test_many_problems_are_summarised_and_capped_at_fifty(engine: Engine) -> None:
    resource = patient(name=[{"use": "nick"} for _ in range(60)])

    with pytest.raises(InvalidResource) as raised:
        validate(resource, engine=engine)

    assert raised.value.diagnostics == "Invalid Patient: 50 problems"
    assert [issue.expression for issue in raised.value.issues] == [
        f"Patient.name[{i}].use" for i in range(50)
    ]


def test_a_hostile_key_or_value_is_shown_escaped_and_cut(engine: Engine) -> None:
    """Diagnostics echo what the client sent, JSON-escaped, and never a megabyte of it."""
    with pytest.raises(InvalidResource) as raised:
        validate(
            patient(**{"\u0007" + "k" * 100: 1}, implicitRules="x " + "y" * 100), engine=engine
        )

    key = "\\u0007" + "k" * 58 + "…"
    value = "x " + "y" * 62 + "…"
    assert raised.value.issues == [
        Issue(
            f"`{key}` is not a FHIR element name.", code="structure", expression=f"Patient.`{key}`"
        ),
        Issue(f"`{value}` is not a valid FHIR uri.", expression="Patient.implicitRules"),
    ]
