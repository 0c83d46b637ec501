"""An EHR's FHIR (a Synthea patient) read back as each app: the patient's own row and rows
that point at it, each row once, never a server error. An EHR records nothing of what only the
app knows (a login, a therapist, an emergency contact), so re-sending the export as it is can
fail only on those: missing required fields, each named."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from gateway.errors import UnprocessableResource
from gateway.jsonio import Json
from gateway.services.apps.export import records_of
from gateway.services.apps.registry import available
from gateway.services.context import open_services
from gateway.services.transaction import process
from mappers.apps.base import AppAdapter
from mappers.apps.ingest import read_records
from tests.conftest import make_settings

SMALLEST = "Fabian_Murray_a120c913-9ee0-4fcc-8344-826e74335c80.json"
_WHERE = re.compile(r"(\w+)\[(\d+)\]\.(\w+)")


def _resend_problems(adapter: AppAdapter, rows: Json) -> list[tuple[str, int, str]]:
    """(entity, row index, field) of every problem re-sending `rows` gives; each must be a
    required field the row leaves out (pydantic's "Field required"), nothing else."""
    try:
        records = read_records(adapter, rows)
    except UnprocessableResource as error:
        found = []
        for issue in error.issues:
            assert issue.code == "invalid", issue
            assert "Field required" in issue.diagnostics, issue
            match = _WHERE.fullmatch(issue.expression or "")
            assert match is not None, issue
            entity, index, field = match[1], int(match[2]), match[3]
            assert field not in rows[entity][index], issue
            found.append((entity, index, field))
        return found
    assert sum(len(r) for r in records.rows.values()) == sum(len(r) for r in rows.values())
    return []


def _assert_carries_the_patient(adapter: AppAdapter, rows: Json) -> None:
    """The patient's own row is there, the one row of the patient entity (this patient names
    no general practitioner), and every foreign key to that entity names it."""
    [own] = rows.get(adapter.patient_entity, [None])
    assert own is not None, adapter.name
    for entity in adapter.entities:
        for row in rows.get(entity.name, ()):
            for field, target in entity.foreign_keys.items():
                if target == adapter.patient_entity and field in row:
                    assert row[field] == own["id"], (adapter.name, entity.name, field)


async def test_a_synthea_patient_reads_as_every_app(fhir_samples: Path) -> None:
    adapters = available()
    bundle = orjson.loads((fhir_samples / "synthea" / SMALLEST).read_bytes())
    services = await open_services(make_settings(max_bundle_entries=len(bundle["entry"])))
    answer = await process(services, bundle, base_urls=(), representation=False)
    locations = [e["response"]["location"].split("/") for e in answer["entry"]]
    [patient] = [location[1] for location in locations if location[0] == "Patient"]
    missing: dict[str, set[tuple[str, str]]] = {}
    for adapter in adapters:
        rows = await records_of(services, adapter.name, patient=patient)
        assert set(rows) <= {e.name for e in adapter.entities}, adapter.name
        _assert_carries_the_patient(adapter, rows)
        problems = _resend_problems(adapter, rows)
        missing[adapter.name] = {(entity, field) for entity, _index, field in problems}
    services.close()
    assert missing == {
        "medical-twin": {("User", "username")},
        "norahealth": set(),
        "heart-recovery": {("Users", "email"), ("Patients", "therapistId")},
        "medrecord": {
            ("Patient", "emergencyContactName"),
            ("Patient", "emergencyContactPhone"),
            ("Provider", "email"),
        },
    }
