"""The tracking tables' tests run through the whole Heart Recovery Calendar adapter, as the
service runs them: the fixture's `Users` and `Patients` rows are mapped by part A."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.jsonio import Json, loads
from mappers.apps import adapter
from mappers.apps.heart_recovery.common import APP
from mappers.apps.heart_recovery.tracking import ENTITIES
from mappers.apps.ingest import Mapped, map_records, read_records
from mappers.apps.view import FhirView

FIXTURES = Path(__file__).parents[3] / "fixtures" / "apps" / "heart-recovery"
TRACKED = {entity.name for entity in ENTITIES}


ADAPTER = adapter(APP)
assert ADAPTER is not None


def load(name: str) -> Any:
    return loads((FIXTURES / name).read_bytes())


def mapped(payload: Any) -> Mapped:
    return map_records(read_records(ADAPTER, payload), {})


def tracking_resources(result: Mapped) -> list[Json]:
    """The resources the tracking tables made, in mapping order."""
    made = {
        ref for entity in TRACKED for refs in result.made.get(entity, {}).values() for ref in refs
    }
    return [r for r in result.resources if f"{r['resourceType']}/{r['id']}" in made]


def account(result: Mapped, user_id: int = 1) -> Json:
    """The Patient the `Users` row `user_id` became."""
    ref = result.made["Users"][str(user_id)][0]
    return next(r for r in result.resources if f"{r['resourceType']}/{r['id']}" == ref)


def view_of(result: Mapped, resources: list[Json]) -> FhirView:
    """Everything part A made and `resources`, seen from the first user's Patient."""
    others = [r for r in result.resources if r not in tracking_resources(result)]
    return FhirView(APP, account(result), [*others, *resources])
