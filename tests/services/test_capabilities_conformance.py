"""The CapabilityStatement's conformance entries: supported profiles, operations, the
read-only conformance types, `instantiates` and the package as implementation guide."""

from __future__ import annotations

import pytest

from gateway.jsonio import Json
from gateway.services import capabilities
from gateway.services.capabilities import capability_statement, package_guide

R4_OPS = "http://hl7.org/fhir/OperationDefinition/"
VITALS = [
    f"http://hl7.org/fhir/StructureDefinition/{name}"
    for name in ("bmi", "bodyheight", "bodytemp", "bodyweight", "bp", "headcircum", "heartrate",
                 "oxygensat", "resprate", "vitalsigns", "vitalspanel")
]  # fmt: skip
VALIDATE = {"name": "validate", "definition": f"{R4_OPS}Resource-validate"}


@pytest.fixture(scope="module")
def statement() -> Json:
    return capability_statement(base_url="http://x/fhir", date="2026-01-01")


def _resources(statement: Json) -> dict[str, Json]:
    return {r["type"]: r for r in statement["rest"][0]["resource"]}


def test_observation_supports_the_vital_signs_profiles_on_its_base(statement: Json) -> None:
    observation = _resources(statement)["Observation"]
    assert observation["profile"] == "http://hl7.org/fhir/StructureDefinition/Observation"
    assert set(VITALS) <= set(observation["supportedProfile"])
    assert observation["supportedProfile"] == sorted(observation["supportedProfile"])


def test_a_type_without_held_profiles_lists_none(statement: Json) -> None:
    assert "supportedProfile" not in _resources(statement)["Organization"]


def test_every_type_has_validate_after_its_own_operations(statement: Json) -> None:
    resources = _resources(statement)
    for entry in resources.values():
        assert entry["operation"][-1] == VALIDATE, entry["type"]
    assert [o["name"] for o in resources["Patient"]["operation"]] == [
        "export", "everything", "validate",
    ]  # fmt: skip
    assert [o["name"] for o in resources["Observation"]["operation"]] == ["lastn", "validate"]


@pytest.mark.parametrize(
    ("resource_type", "operations"),
    [
        pytest.param("ValueSet", {"expand": "ValueSet-expand",
                                  "validate-code": "ValueSet-validate-code"}, id="ValueSet"),
        pytest.param("CodeSystem", {"lookup": "CodeSystem-lookup"}, id="CodeSystem"),
        pytest.param("ConceptMap", {"translate": "ConceptMap-translate"}, id="ConceptMap"),
        pytest.param("StructureDefinition", {}, id="StructureDefinition"),
    ],
)  # fmt: skip
def test_conformance_types_are_read_only_with_their_operations(
    statement: Json, resource_type: str, operations: dict[str, str]
) -> None:
    entry = _resources(statement)[resource_type]
    assert [i["code"] for i in entry["interaction"]] == [
        "read", "vread", "history-instance", "history-type", "search-type",
    ]  # fmt: skip
    assert (entry["updateCreate"], entry["conditionalCreate"], entry["conditionalUpdate"]) == (
        False, False, False,
    )  # fmt: skip
    assert entry["conditionalDelete"] == "not-supported"
    assert entry["operation"] == [
        *(
            {"name": name, "definition": R4_OPS + definition}
            for name, definition in operations.items()
        ),
        VALIDATE,
    ]


def test_it_instantiates_the_r4_terminology_server(statement: Json) -> None:
    assert statement["instantiates"] == [
        "http://hl7.org/fhir/CapabilityStatement/terminology-server"
    ]


def test_the_package_is_named_as_implementation_guide(monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = {"name": "org.fhir-gateway.conformance", "canonical": "http://fhir-gateway.org/fhir"}
    monkeypatch.setattr(capabilities, "package_manifest", lambda: manifest)
    guide = "http://fhir-gateway.org/fhir/ImplementationGuide/org.fhir-gateway.conformance"
    assert package_guide() == guide
    statement = capability_statement(base_url="http://x/fhir", date="2026-01-01")
    assert statement["implementationGuide"] == [guide]
    monkeypatch.setattr(capabilities, "package_manifest", lambda: None)
    assert "implementationGuide" not in capability_statement(base_url="http://x", date="2026")
