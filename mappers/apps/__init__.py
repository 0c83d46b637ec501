"""The seed apps' adapters: their records in and out as FHIR R4.

One package per app, each exposing `ADAPTER` (mappers.apps.base.AppAdapter); loaded on first
use so the FHIR paths never pay for them.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from mappers.apps.base import AppAdapter

__all__ = ["APPS", "adapter"]

APPS = {
    "medical-twin": "mappers.apps.medical_twin",
    "norahealth": "mappers.apps.norahealth",
    "heart-recovery": "mappers.apps.heart_recovery",
    "medrecord": "mappers.apps.medrecord",
}
"""The app names of `/apps/{app}/...` and `--from/--to`, and where each adapter lives."""


@cache
def adapter(name: str) -> AppAdapter | None:
    """The adapter of app `name`, or None for a name that is not one of `APPS`."""
    module = APPS.get(name)
    if module is None:
        return None
    found: AppAdapter = import_module(module).ADAPTER
    return found
