"""Every Patient, Encounter, Observation and MedicationStatement of the third-party corpus goes
FHIR -> POST -> GET and comes back equal, apart from the server's id and version meta."""

from __future__ import annotations

import gzip
import json
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from mappers.registry import MAPPERS
from tests.conftest import samples_dir

pytestmark = pytest.mark.corpus


def _resources(path: Path) -> Iterator[dict[str, Any]]:
    if path.name.endswith(".ndjson.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            yield from (json.loads(line) for line in lines if line.strip())
        return
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("resourceType") == "Bundle":
        yield from (e["resource"] for e in document.get("entry", []) if "resource" in e)
    else:
        yield document


def corpus_files(types: Collection[str]) -> list[Any]:
    """Sample files holding resources of `types`, one parameter each (or one that skips)."""
    directory = samples_dir()
    if directory is None:
        return [pytest.param(None, id="samples-absent")]
    files = sorted(p for p in directory.rglob("*") if p.name.endswith((".json", ".ndjson.gz")))
    return [
        pytest.param(p, id=str(p.relative_to(directory)))
        for p in files
        if any(r.get("resourceType") in types for r in _resources(p))
    ]


def comparable(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without what the server owns: id, meta.versionId, meta.lastUpdated."""
    result = {k: v for k, v in resource.items() if k != "id"}
    meta = {
        k: v for k, v in result.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        result["meta"] = meta
    return result


@pytest.mark.parametrize("path", corpus_files(MAPPERS))
async def test_corpus_resources_round_trip_through_the_api(
    api: AsyncClient, fhir_samples: Path, path: Path
) -> None:
    mismatches: list[str] = []
    count = 0
    for resource in _resources(path):
        if resource.get("resourceType") not in MAPPERS:
            continue
        count += 1
        created = await api.post(f"/{resource['resourceType']}", json=resource)
        assert created.status_code == 201, created.text
        read = await api.get(created.headers["Location"].split("/_history")[0].split("/fhir")[-1])
        assert read.status_code == 200, read.text
        if comparable(read.json()) != comparable(resource):
            mismatches.append(f"{resource['resourceType']}/{resource.get('id')}")
    assert count > 0
    assert mismatches == []
