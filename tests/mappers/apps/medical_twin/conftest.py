"""The twin's golden fixtures and a patient's view over mapped resources."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from gateway import jsonio
from gateway.jsonio import Json
from mappers.apps.ingest import map_records, read_records
from mappers.apps.medical_twin import ADAPTER
from mappers.apps.view import FhirView

FIXTURES = Path(__file__).parents[3] / "fixtures" / "apps" / "medical-twin"


def load(name: str) -> Any:
    return jsonio.loads((FIXTURES / name).read_bytes())


def mapped(payload: Json) -> list[Json]:
    return map_records(read_records(ADAPTER, payload), {}).resources


def view_of(patient: Json, resources: Sequence[Json]) -> FhirView:
    """The patient's resources, as the service gathers them: what points at the patient."""
    ref = f"Patient/{patient['id']}"
    own = [r for r in resources if ref in jsonio.dumps(r).decode() and r is not patient]
    return FhirView(ADAPTER.name, patient, own)


@pytest.fixture(scope="session")
def records() -> Json:
    found: Json = load("records.json")
    return found


@pytest.fixture(scope="session")
def resources(records: Json) -> list[Json]:
    return mapped(records)
