"""The resource types the gateway keeps as domain records, and their mappers."""

from __future__ import annotations

from typing import Any

from mappers import encounter, medication_statement, observation, patient
from mappers.base import ResourceMapper

MAPPERS: dict[str, ResourceMapper[Any]] = {
    m.resource_type: m
    for m in (patient.MAPPER, encounter.MAPPER, observation.MAPPER, medication_statement.MAPPER)
}
