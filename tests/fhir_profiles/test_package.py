"""The gateway's package (`fhir_profiles/package/`) is what scripts/build_package.py makes of
`fhir_profiles/source/`, and everything in it resolves."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fhir_profiles.canonical import held, package_manifest, package_resources

Json = dict[str, Any]
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_package.py"
CANONICAL = "http://fhir-gateway.org/fhir"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_package", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _script()


def test_the_package_is_what_the_build_makes_of_the_sources() -> None:
    expected = BUILD.build(BUILD.read_sources())
    on_disk = {p.name: p.read_text("utf-8") for p in BUILD.PACKAGE.iterdir() if p.is_file()}
    assert sorted(on_disk) == sorted(expected), "run `python scripts/build_package.py`"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{name} differs: run `python scripts/build_package.py`"


def test_the_manifest_names_the_package() -> None:
    manifest = package_manifest()
    assert manifest is not None
    assert (manifest["name"], manifest["version"]) == ("org.fhir-gateway.conformance", "0.2.0")
    assert manifest["fhirVersions"] == ["4.0.1"]
    assert manifest["dependencies"] == {"hl7.fhir.r4.core": "4.0.1"}
    assert manifest["canonical"] == CANONICAL


def test_held_resolves_every_package_resource() -> None:
    for resource in package_resources():
        canonical = f"{resource['url']}|{resource['version']}"
        assert held().resolve(canonical, resource["resourceType"]) is resource, canonical


def test_every_snapshot_element_has_an_id_and_a_path() -> None:
    for sd in held().of_type("StructureDefinition"):
        for element in sd.get("snapshot", {}).get("element", []):
            assert element.get("id"), (sd["url"], element)
            assert element.get("path"), (sd["url"], element)


def test_every_profiles_base_resolves() -> None:
    for resource in package_resources():
        if resource["resourceType"] == "StructureDefinition":
            base = held().resolve(resource["baseDefinition"], "StructureDefinition")
            assert base is not None, resource["url"]
            assert base["type"] == resource["type"], resource["url"]


# The build itself, over a small source of our own.

EXTENSION: Json = {
    "resourceType": "StructureDefinition",
    "id": "test-device",
    "url": f"{CANONICAL}/StructureDefinition/test-device",
    "name": "TestDevice",
    "status": "draft",
    "kind": "complex-type",
    "abstract": False,
    "context": [{"type": "element", "expression": "Observation"}],
    "type": "Extension",
    "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
    "derivation": "constraint",
    "differential": {
        "element": [
            {"id": "Extension", "path": "Extension", "max": "1"},
            {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
            {"id": "Extension.url", "path": "Extension.url", "fixedUri": f"{CANONICAL}/StructureDefinition/test-device"},
            {"id": "Extension.value[x]", "path": "Extension.value[x]", "min": 1, "type": [{"code": "string"}]},
        ]
    },
}  # fmt: skip
WEARABLE: Json = {
    "resourceType": "StructureDefinition",
    "id": "test-wearable",
    "url": f"{CANONICAL}/StructureDefinition/test-wearable",
    "name": "TestWearable",
    "status": "draft",
    "kind": "resource",
    "abstract": False,
    "type": "Observation",
    "baseDefinition": "http://hl7.org/fhir/StructureDefinition/vitalsigns",
    "derivation": "constraint",
    "differential": {
        "element": [
            {"id": "Observation", "path": "Observation"},
            {"id": "Observation.extension:device", "path": "Observation.extension", "sliceName": "device", "min": 1, "max": "1",
             "type": [{"code": "Extension", "profile": [f"{CANONICAL}/StructureDefinition/test-device"]}]},
            {"id": "Observation.extension:device.value[x]", "path": "Observation.extension.value[x]", "min": 1},
        ]
    },
}  # fmt: skip
STEP: Json = {
    "resourceType": "StructureDefinition",
    "id": "test-steps",
    "url": f"{CANONICAL}/StructureDefinition/test-steps",
    "name": "TestSteps",
    "status": "draft",
    "kind": "resource",
    "abstract": False,
    "type": "Observation",
    "baseDefinition": f"{CANONICAL}/StructureDefinition/test-wearable",
    "derivation": "constraint",
    "differential": {"element": [{"id": "Observation.valueQuantity.code", "path": "Observation.valueQuantity.code", "fixedCode": "/d"}]},
}  # fmt: skip
CODES: Json = {
    "resourceType": "CodeSystem",
    "id": "test-metric",
    "url": f"{CANONICAL}/CodeSystem/test-metric",
    "status": "draft",
    "content": "complete",
    "concept": [{"code": "steps", "display": "Steps"}],
}


def _built(*sources: Json) -> dict[str, Json]:
    return {name: json.loads(text) for name, text in BUILD.build(list(sources)).items()}


def test_a_build_writes_snapshots_versions_and_an_index() -> None:
    files = _built(STEP, CODES, WEARABLE, EXTENSION)
    assert sorted(files) == [
        ".index.json", "CodeSystem-test-metric.json", "StructureDefinition-test-device.json",
        "StructureDefinition-test-steps.json", "StructureDefinition-test-wearable.json", "package.json",
    ]  # fmt: skip
    assert files[".index.json"] == {
        "index-version": 1,
        "files": [
            {"filename": "CodeSystem-test-metric.json", "resourceType": "CodeSystem", "id": "test-metric",
             "url": f"{CANONICAL}/CodeSystem/test-metric", "version": "0.2.0"},
            {"filename": "StructureDefinition-test-device.json", "resourceType": "StructureDefinition", "id": "test-device",
             "url": f"{CANONICAL}/StructureDefinition/test-device", "version": "0.2.0", "kind": "complex-type", "type": "Extension"},
            {"filename": "StructureDefinition-test-steps.json", "resourceType": "StructureDefinition", "id": "test-steps",
             "url": f"{CANONICAL}/StructureDefinition/test-steps", "version": "0.2.0", "kind": "resource", "type": "Observation"},
            {"filename": "StructureDefinition-test-wearable.json", "resourceType": "StructureDefinition", "id": "test-wearable",
             "url": f"{CANONICAL}/StructureDefinition/test-wearable", "version": "0.2.0", "kind": "resource", "type": "Observation"},
        ],
    }  # fmt: skip
    assert "fhirVersion" not in files["CodeSystem-test-metric.json"]  # R4 CodeSystem has none
    device = files["StructureDefinition-test-device.json"]
    assert device["fhirVersion"] == "4.0.1"
    assert device["differential"] == EXTENSION["differential"]
    assert {e["id"]: e.get("type") for e in device["snapshot"]["element"]}[
        "Extension.value[x]"
    ] == [{"code": "string"}]


def test_a_profile_on_a_source_profile_builds_on_its_generated_snapshot() -> None:
    steps = {
        e["id"]: e
        for e in _built(STEP, WEARABLE, EXTENSION)["StructureDefinition-test-steps.json"][
            "snapshot"
        ]["element"]
    }
    # from vitalsigns (HL7), through test-wearable (generated), to test-steps
    assert steps["Observation.category:VSCat.coding.code"]["fixedCode"] == "vital-signs"
    assert steps["Observation.extension:device"]["min"] == 1
    # the extension slice expanded from test-device's generated snapshot
    assert steps["Observation.extension:device.value[x]"]["type"] == [{"code": "string"}]
    assert steps["Observation.extension:device.url"]["fixedUri"] == EXTENSION["url"]
    assert steps["Observation.value[x]:valueQuantity.code"]["fixedCode"] == "/d"


def test_the_build_is_deterministic_and_writes_exactly_its_files(tmp_path: Path) -> None:
    (tmp_path / "StructureDefinition-gone.json").write_text("{}", "utf-8")
    files = BUILD.build([EXTENSION, CODES])
    assert BUILD.build([CODES, EXTENSION]) == files
    BUILD.write(files, tmp_path)
    assert {p.name: p.read_text("utf-8") for p in tmp_path.iterdir()} == files


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        pytest.param(
            [{**CODES, "url": "http://example.org/x"}],
            "is not `http://fhir-gateway.org/fhir/CodeSystem/test-metric`",
            id="foreign-url",
        ),
        pytest.param(
            [{k: v for k, v in CODES.items() if k != "id"}], "no resourceType or id", id="no-id"
        ),
        pytest.param([CODES, CODES], "is defined twice", id="twice"),
        pytest.param(
            [{**EXTENSION, "snapshot": {"element": []}}],
            "differential only",
            id="hand-written-snapshot",
        ),
        pytest.param(
            [{**WEARABLE, "baseDefinition": STEP["url"]}, STEP, EXTENSION],
            "is its own base",
            id="cycle",
        ),
    ],
)
def test_a_bad_source_is_refused_by_name(sources: list[Json], message: str) -> None:
    with pytest.raises(BUILD.SourceError, match=re.escape(message)):
        BUILD.build(sources)


def test_the_script_exits_naming_what_it_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BUILD, "read_sources", lambda: [{**WEARABLE, "type": "Patient"}])
    with pytest.raises(SystemExit, match=re.escape("type `Patient` is not its base's")):
        BUILD.main()
