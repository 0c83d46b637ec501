"""Shared fixtures of the MedRecord AI adapter's tests: the golden files, read exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway import jsonio
from gateway.jsonio import Json
from mappers.apps.ingest import map_records, read_records
from mappers.apps.medrecord import ADAPTER
from mappers.apps.view import FhirView, row_json

GOLDEN = Path(__file__).parents[3] / "fixtures" / "apps" / "medrecord"


def load(name: str) -> Any:
    return jsonio.loads((GOLDEN / name).read_bytes())


def to_fhir(payload: Any) -> list[Json]:
    """What the service stores for a request: read and checked rows, mapped, empty store."""
    return map_records(read_records(ADAPTER, payload), {}).resources


def from_fhir(resources: list[Json]) -> dict[str, dict[str, Json]]:
    """Every patient's rows as the app would read them: entity -> id -> row."""
    rows: dict[str, dict[str, Json]] = {}
    for patient in (r for r in resources if r["resourceType"] == "Patient"):
        for exported in ADAPTER.from_fhir(FhirView("medrecord", patient, resources)):
            row = row_json(exported.row)
            rows.setdefault(exported.entity, {})[str(row["id"])] = row
    return rows


@pytest.fixture(scope="session")
def records() -> Json:
    found: Json = load("records.json")
    return found


@pytest.fixture(scope="session")
def golden_fhir() -> list[Json]:
    found: list[Json] = load("fhir.json")
    return found
