"""services.reindex: whole passes per type, `--type` selection, resuming after a stop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from gateway.errors import InvalidRequest
from gateway.services import resources
from gateway.services.context import Services, open_services
from gateway.services.reindex import Progress, checkpoint_key, reindex
from gateway.store.indexes import index_keys
from tests.conftest import make_settings
from tests.store.test_reindex import CONDITION, OBSERVATION, corrupt, found


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    """Five Conditions and two Observations of Patient/p-1, all without their `index`."""
    opened = await open_services(make_settings())
    for n in range(5):
        await resources.update(opened.store("Condition"), f"c-{n}", {**CONDITION, "id": f"c-{n}"})
    for _ in range(2):
        await resources.create(opened.store("Observation"), OBSERVATION)
    for resource_type in ("Condition", "Observation"):
        await corrupt(opened, resource_type, {"$unset": {"index": ""}})
    yield opened
    opened.close()


AT = datetime(2026, 1, 1)


class Stop(Exception):
    """The run killed after some batches."""


async def test_every_stored_type_is_reindexed_by_default(services: Services) -> None:
    seen: list[Progress] = []

    results = await reindex(services, batch_size=2, progress=seen.append)

    assert [(r.resource_type, r.read, r.rewritten, r.failed) for r in results] == [
        ("Condition", 5, 5, 0),
        ("Observation", 2, 2, 0),
    ]
    assert len(await found(services, "Condition", "patient=p-1")) == 5
    assert len(await found(services, "Observation", "patient=p-1")) == 2
    assert [(p.resource_type, p.total, p.done) for p in seen] == [
        ("Condition", 5, 2), ("Condition", 5, 4), ("Condition", 5, 5), ("Observation", 2, 2)
    ]  # fmt: skip
    again = await reindex(services)
    assert [(r.rewritten, r.unchanged) for r in again] == [(0, 5), (0, 2)]


async def test_only_the_types_named_are_reindexed(services: Services) -> None:
    results = await reindex(services, types=["Observation", "Observation"])

    assert [r.resource_type for r in results] == ["Observation"]
    assert len(await found(services, "Observation", "patient=p-1")) == 2
    assert await found(services, "Condition", "patient=p-1") == set()


async def test_an_unknown_type_is_refused_by_name(services: Services) -> None:
    with pytest.raises(InvalidRequest, match="`Foo`"):
        await reindex(services, types=["Condition", "Foo"])


async def test_a_stopped_run_resumes_after_the_last_batch_done(services: Services) -> None:
    def stop_after_two_batches(progress: Progress) -> None:
        if progress.done == 4:
            raise Stop

    with pytest.raises(Stop):
        await reindex(services, types=["Condition"], batch_size=2, progress=stop_after_two_batches)
    assert len(await found(services, "Condition", "patient=p-1")) == 4
    checkpoints = services.storage.checkpoints
    assert await checkpoints.after(checkpoint_key("Condition")) == "c-3"

    [result] = await reindex(services, types=["Condition"], batch_size=2)

    assert (result.resumed_after, result.read, result.rewritten) == ("c-3", 1, 1)
    assert len(await found(services, "Condition", "patient=p-1")) == 5
    assert await checkpoints.after(checkpoint_key("Condition")) is None  # the next run: all


async def test_restart_ignores_where_a_stopped_run_was(services: Services) -> None:
    await services.storage.checkpoints.record(checkpoint_key("Condition"), "c-3", at=AT)
    [resumed] = await reindex(services, types=["Condition"])
    assert (resumed.resumed_after, resumed.read) == ("c-3", 1)
    await services.storage.checkpoints.record(checkpoint_key("Condition"), "c-3", at=AT)
    [restarted] = await reindex(services, types=["Condition"], restart=True)
    assert (restarted.resumed_after, restarted.read, restarted.rewritten) == (None, 5, 4)


async def test_the_indexes_declared_now_are_created(services: Services) -> None:
    """A type written by an older version has the indexes that version declared."""
    collection = services.storage.database[services.store("Condition").name]
    await collection.drop_indexes()

    await reindex(services, types=["Condition"])

    found = {tuple(k for k, _ in i["key"]) for i in (await collection.index_information()).values()}
    assert found == {("_id",), *index_keys(collection.name)}
