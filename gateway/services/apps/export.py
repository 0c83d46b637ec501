"""A patient's FHIR back in an app's own shape: `GET /apps/{app}/records`, `export --to`.

Whatever the gateway holds for the patient is read (gateway.services.apps.gather), resources
that arrived as plain FHIR from an EHR included; the adapter maps what has a home in the app.
The answer is the shape `POST /apps/{app}/records` takes, so it can be sent back as it is.

Authorization (issue 13): only what the token may read is gathered and mapped, silently, as a
search answers (gateway.services.access): a `patient/` token asking for another patient gets
no rows, not a 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from gateway.domain.time import parse_range
from gateway.errors import UnprocessableResource
from gateway.jsonio import Json, dumps
from gateway.services.access import current
from gateway.services.apps.gather import PATIENT, find_patient, patient_resources
from gateway.services.apps.registry import app_adapter
from gateway.services.context import Services
from mappers.apps.base import AppAdapter
from mappers.apps.native import Identity
from mappers.apps.view import Exported, FhirView, row_json


async def records_of(
    services: Services,
    app: str,
    *,
    patient: str,
    since: datetime | None = None,
    entities: Sequence[str] = (),
) -> Json:
    """{entity: [row, ...]} for the patient whose native id (of the app's patient entity) or
    FHIR id is `patient`; `since`: rows built from a resource updated at or after it;
    `entities`: only these (an unknown one is a 422)."""
    adapter = app_adapter(app)
    wanted = _check_entities(adapter, entities)
    system = Identity(adapter.name, adapter.patient_entity, patient).system
    found = await find_patient(services, system=system, patient=patient)
    return await _rows(services, adapter, found, since=since, entities=wanted)


async def all_records(
    services: Services, app: str, *, since: datetime | None = None
) -> AsyncIterator[Json]:
    """`records_of` for every stored patient that has rows in the app's shape."""
    adapter = app_adapter(app)
    store = services.store(PATIENT)
    async for documents in store.batches({}, size=100):
        for document in documents:
            patient = store.to_version(document).resource
            if patient is None:
                continue
            rows = await _rows(services, adapter, patient, since=since, entities=None)
            if rows:
                yield rows


class MergedRecords:
    """Several patients' records as one, each row once (a provider two patients share, linked
    patients): rows are told apart by their JSON, in a set, so merging a whole store's export
    stays linear instead of scanning the kept list for every row."""

    def __init__(self) -> None:
        self.records: Json = {}
        self._seen: set[tuple[str, bytes]] = set()

    def add(self, rows: Json) -> None:
        for entity, more in rows.items():
            kept = self.records.setdefault(entity, [])
            for row in more:
                key = (entity, dumps(row))
                if key not in self._seen:
                    self._seen.add(key)
                    kept.append(row)


async def _rows(
    services: Services,
    adapter: AppAdapter,
    patient: Json,
    *,
    since: datetime | None,
    entities: frozenset[str] | None,
) -> Json:
    access = current()
    if not access.may("r", patient):
        return {}
    resources = access.visible("r", await patient_resources(services, patient))
    view = FhirView(adapter.name, patient, resources)
    updated = {view.ref(r): _last_updated(r) for r in resources} if since is not None else {}
    by_entity: dict[str, list[Json]] = {}
    for exported in adapter.from_fhir(view):
        if entities is not None and exported.entity not in entities:
            continue
        if since is not None and not _changed_since(exported, updated, since):
            continue
        by_entity.setdefault(exported.entity, []).append(row_json(exported.row))
    return {e.name: by_entity[e.name] for e in adapter.entities if e.name in by_entity}


def _changed_since(
    exported: Exported, updated: dict[str, datetime | None], since: datetime
) -> bool:
    """Whether any resource the row was built from was written at or after `since`."""
    return any(
        (at := updated.get(source)) is not None and at >= since for source in exported.sources
    )


def _last_updated(resource: Json) -> datetime | None:
    text = (resource.get("meta") or {}).get("lastUpdated")
    return parse_range(text)[0] if isinstance(text, str) else None


def _check_entities(adapter: AppAdapter, entities: Sequence[str]) -> frozenset[str] | None:
    if not entities:
        return None
    unknown = [name for name in entities if adapter.entity(name) is None]
    if unknown:
        known = ", ".join(e.name for e in adapter.entities)
        raise UnprocessableResource(
            f"`{unknown[0]}` is not an entity of {adapter.title} ({known}).", expression="entity"
        )
    return frozenset(entities)
