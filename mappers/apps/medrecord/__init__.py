"""MedRecord AI (seeds 003 and 004): clinic records in and out as FHIR R4.

See docs/apps/medrecord.md for every entity's home and the decisions behind them.
"""

from __future__ import annotations

from mappers.apps.base import AppAdapter
from mappers.apps.medrecord.back import from_fhir
from mappers.apps.medrecord.entities import ENTITIES

__all__ = ["ADAPTER"]

ADAPTER = AppAdapter(
    name="medrecord",
    title="MedRecord AI",
    seeds=("003_7ac6d064e4428710.txt", "004_188a0af4d7c04fd0.txt"),
    entities=ENTITIES,
    patient_entity="Patient",
    from_fhir=from_fhir,
)
