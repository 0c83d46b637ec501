"""The Heart Recovery Calendar's tracking tables (vitals, food, exercise, sleep, devices...).

A placeholder until part B's entities land: no entities, no rows."""

from __future__ import annotations

from mappers.apps.base import Entity
from mappers.apps.view import Exported, FhirView

__all__ = ["ENTITIES", "rows"]

ENTITIES: tuple[Entity, ...] = ()


def rows(view: FhirView) -> list[Exported]:
    """No tracking rows until part B's mappings land."""
    return []
