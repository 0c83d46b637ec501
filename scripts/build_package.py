"""Build the gateway's conformance package, `fhir_profiles/package/`, from `fhir_profiles/source/`.

The sources are hand-written FHIR JSON, one resource a file; StructureDefinitions carry only a
`differential`. This script generates each profile's `snapshot` (gateway.conformance.snapshot,
https://hl7.org/fhir/R4/profiling.html#snapshot) and writes the package in the FHIR NPM package
layout (https://confluence.hl7.org/display/FHIR/NPM+Package+Specification): `package.json`,
`.index.json` and one `<Type>-<id>.json` per resource. The output is deterministic (sorted keys,
files in name order), so tests/fhir_profiles/test_package.py rebuilds it in memory and compares.

Run: `python scripts/build_package.py` (rewrites `fhir_profiles/package/`).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from fhir_profiles.canonical import Canonicals, r4_structure_definitions
from gateway.conformance.snapshot import SnapshotError, snapshot

Json = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent / "fhir_profiles"
SOURCE, PACKAGE = ROOT / "source", ROOT / "package"
CANONICAL = "http://fhir-gateway.org/fhir"
NAME, VERSION, FHIR_VERSION = "org.fhir-gateway.conformance", "0.2.0", "4.0.1"
MANIFEST: Json = {
    "name": NAME,
    "version": VERSION,
    "title": "fhir-gateway conformance resources",
    "description": "The profiles, extensions, code systems, value sets and concept maps the "
    "fhir-gateway publishes and validates against.",
    "author": "fhir-gateway",
    "license": "Apache-2.0",
    "canonical": CANONICAL,
    "url": CANONICAL,
    "fhirVersions": [FHIR_VERSION],
    "dependencies": {"hl7.fhir.r4.core": FHIR_VERSION},
}
# The R4 resource types among the sources that have a `fhirVersion` element.
WITH_FHIR_VERSION = frozenset({"StructureDefinition", "CapabilityStatement", "ImplementationGuide"})


class SourceError(ValueError):
    """A source file the build cannot publish as it is."""


def read_sources(folder: Path = SOURCE) -> list[Json]:
    """Every `*.json` resource in `folder`, in file name order."""
    return [json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json"))]


def _checked(resource: Json) -> Json:
    kind, rid, url = resource.get("resourceType"), resource.get("id"), resource.get("url")
    if not isinstance(kind, str) or not isinstance(rid, str) or not rid:
        raise SourceError(f"A source has no resourceType or id: {json.dumps(resource)[:80]}.")
    if url != f"{CANONICAL}/{kind}/{rid}":
        raise SourceError(f"`{kind}/{rid}`: url `{url}` is not `{CANONICAL}/{kind}/{rid}`.")
    if "snapshot" in resource:
        raise SourceError(
            f"`{url}`: sources carry a differential only; the build writes snapshots."
        )
    return resource


class _Build:
    """Resources by URL, each built once; a profile on another source profile gets that one's
    generated snapshot as its base."""

    def __init__(self, sources: list[Json]) -> None:
        self.sources: dict[str, Json] = {}
        for resource in map(_checked, sources):
            if resource["url"] in self.sources:
                raise SourceError(f"`{resource['url']}` is defined twice.")
            self.sources[resource["url"]] = resource
        self.r4 = Canonicals(r4_structure_definitions())
        self.built: dict[str, Json] = {}
        self.building: set[str] = set()

    def resolve(self, url: str) -> Json | None:
        plain = url.split("|", 1)[0]
        return self.resource(plain) if plain in self.sources else self.r4.resolve(url)

    def resource(self, url: str) -> Json:
        if url in self.built:
            return self.built[url]
        if url in self.building:
            raise SourceError(f"`{url}` is its own base, through {sorted(self.building)}.")
        self.building.add(url)
        resource = copy.deepcopy(self.sources[url])
        resource.setdefault("version", VERSION)
        if resource["resourceType"] in WITH_FHIR_VERSION:
            resource.setdefault("fhirVersion", FHIR_VERSION)
        if resource["resourceType"] == "StructureDefinition" and "differential" in resource:
            resource["snapshot"] = {"element": snapshot(resource, self.resolve)}
        self.building.discard(url)
        self.built[url] = resource
        return resource


def _filename(resource: Json) -> str:
    return f"{resource['resourceType']}-{resource['id']}.json"


def _entry(resource: Json) -> Json:
    entry = {"filename": _filename(resource)}
    entry |= {k: resource[k] for k in ("resourceType", "id", "url", "version") if k in resource}
    if resource["resourceType"] == "StructureDefinition":
        entry |= {k: resource[k] for k in ("kind", "type") if k in resource}
    return entry


def _text(content: Json) -> str:
    return json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build(sources: list[Json]) -> dict[str, str]:
    """The package's files, name -> text: one per resource, `.index.json` and `package.json`."""
    run = _Build(sources)
    resources = sorted((run.resource(url) for url in run.sources), key=_filename)
    files = {_filename(r): _text(r) for r in resources}
    files[".index.json"] = _text({"index-version": 1, "files": [_entry(r) for r in resources]})
    files["package.json"] = _text(MANIFEST)
    return files


def write(files: dict[str, str], folder: Path = PACKAGE) -> None:
    """Make `folder` hold exactly `files` (a resource whose source went goes too)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in {*folder.glob("*.json"), *folder.glob(".index.json")}:
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")


def main() -> None:
    try:
        built = build(read_sources())
    except (SourceError, SnapshotError) as error:
        sys.exit(f"build_package: {error}")
    write(built)
    print(f"{PACKAGE}: {len(built) - 2} resources")


if __name__ == "__main__":
    main()
