"""The served demo: each seed app's own sample records, sent through its adapter at start-up.

One module per app (`gateway.demo_records.<package>`, written beside its adapter), each with
`records() -> {entity: [row, ...]}`: deterministic rows counted from `gateway.demo.ANCHOR`.
"""

from __future__ import annotations

from importlib import import_module

from gateway.jsonio import Json

# app name (mappers.apps.APPS) -> the module of its sample records
MODULES = {
    "medical-twin": "gateway.demo_records.medical_twin",
    "norahealth": "gateway.demo_records.norahealth",
    "heart-recovery": "gateway.demo_records.heart_recovery",
    "medrecord": "gateway.demo_records.medrecord",
}


def app_records() -> dict[str, dict[str, list[Json]]]:
    """app name -> its sample records."""
    return {app: import_module(module).records() for app, module in MODULES.items()}
