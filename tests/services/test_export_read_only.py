"""An export reads the embedded store's own documents (`batches(read_only=True)`): what it
writes must be what a read through copies writes, and the store must be left as it was."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from gateway.demo import generate
from gateway.services import resources
from gateway.services.context import open_services
from gateway.services.exports import NdjsonSink, export
from gateway.settings import Settings
from gateway.store.collection import Document, Filter
from gateway.store.repository import ResourceStore


async def test_an_export_of_shared_documents_writes_what_copies_write_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = await open_services(Settings(mongodb_uri=None))
    for resource in generate(patients=3):
        await resources.update(services.store(resource["resourceType"]), resource["id"], resource)
    types = sorted({r["resourceType"] for r in generate(patients=3)})
    before = {
        t: copy.deepcopy(await services.store(t).collection.find({}).to_list(None)) for t in types
    }

    shared = NdjsonSink(tmp_path / "shared")
    counts = await export(services, types=types, since=None, patient_ids=None, sink=shared)
    shared.close()

    original = ResourceStore.batches

    def copying(
        self: ResourceStore, query: Filter, *, size: int, read_only: bool = False
    ) -> AsyncIterator[list[Document]]:
        return original(self, query, size=size)  # the cursor's copies, as before

    monkeypatch.setattr(ResourceStore, "batches", copying)
    copied = NdjsonSink(tmp_path / "copied")
    assert await export(services, types=types, since=None, patient_ids=None, sink=copied) == counts
    copied.close()

    assert sum(counts.values()) > 50
    for t in types:
        ours = (tmp_path / "shared" / f"{t}.ndjson").read_bytes()
        theirs = (tmp_path / "copied" / f"{t}.ndjson").read_bytes()
        assert [orjson.loads(line) for line in ours.splitlines()] == [
            orjson.loads(line) for line in theirs.splitlines()
        ]
        assert await services.store(t).collection.find({}).to_list(None) == before[t]
    services.close()
