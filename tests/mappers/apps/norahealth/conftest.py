"""The NoraHealth golden fixtures and a way to read FHIR back as one user's rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway import jsonio
from gateway.jsonio import Json
from mappers.apps import adapter
from mappers.apps.base import AppAdapter, Exported, FhirView

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "apps" / "norahealth"


def load(name: str) -> Any:
    return jsonio.loads((FIXTURES / name).read_bytes())


@pytest.fixture(scope="session")
def nora() -> AppAdapter:
    found = adapter("norahealth")
    assert found is not None
    return found


@pytest.fixture
def records() -> dict[str, list[Json]]:
    payload: dict[str, list[Json]] = load("records.json")
    return payload


@pytest.fixture
def golden_fhir() -> list[Json]:
    resources: list[Json] = load("fhir.json")
    return resources


def patient_of(resource: Json) -> str | None:
    """The `Patient/id` a resource is about, as the service's compartment gathering finds it."""
    for key in ("subject", "patient"):
        reference = resource.get(key, {}).get("reference")
        if isinstance(reference, str) and reference.startswith("Patient/"):
            return reference
    return None


def read_back(app: AppAdapter, resources: list[Json], patient: Json) -> list[Exported]:
    """`from_fhir` over the patient and the resources in its compartment."""
    ref = f"Patient/{patient['id']}"
    mine = [r for r in resources if r is patient or patient_of(r) == ref]
    return app.from_fhir(FhirView(app.name, patient, mine))
