"""Bulk `$export` under a grant: who may start which export, what the job writes (acting as the
kick-off's access, in its own task), and who may poll, download or cancel it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import orjson
import pytest

from gateway.errors import Forbidden, NotFound
from gateway.jsonio import Json
from gateway.services.access import Access, acting_as, current
from gateway.services.bulk_jobs import ExportJob, ExportJobs, ExportRequest
from tests.auth.access_population import BASE, Population, access, population

__all__ = ["population"]  # the fixture, imported for pytest


def kickoff(*, types: tuple[str, ...] | None = None, compartment: bool = True) -> ExportRequest:
    path = "Patient/$export" if compartment else "$export"
    return ExportRequest(f"{BASE}/{path}", types, None, compartment)


async def run(
    population: Population, jobs: ExportJobs, who: Access, request: ExportRequest
) -> ExportJob:
    """Start the job as `who`, then let it run OUTSIDE that context: what it writes must come
    from the access it captured, not from whoever awaits it."""
    with acting_as(who):
        job = jobs.start(population.services, request, base_urls=(BASE,))
    assert job.task is not None
    await job.task
    assert job.state == "completed", job.failure
    return job


def exported(job: ExportJob) -> dict[str, list[str]]:
    return {
        resource_type: sorted(
            orjson.loads(line)["id"] for line in (job.directory / name).read_bytes().splitlines()
        )
        for resource_type, name in job.files.items()
    }


async def test_a_patient_export_holds_only_the_tokens_patient(
    population: Population, tmp_path: Path
) -> None:
    jobs = ExportJobs(tmp_path)
    job = await run(population, jobs, access("patient/*.rs", "p1"), kickoff())
    assert exported(job) == {
        "Condition": ["c1"],
        "Encounter": ["e1"],
        "Observation": ["o1-hba1c", "o1-lab", "o1-vital"],
        "Patient": ["p1"],
    }
    assert job.manifest(f"{BASE}/$export-file/{job.id}")["requiresAccessToken"] is True


async def test_a_patient_export_leaves_out_types_not_allowed_and_keeps_the_query(
    population: Population, tmp_path: Path
) -> None:
    jobs = ExportJobs(tmp_path)
    labs = access("patient/Observation.rs?category=laboratory", "p2")
    job = await run(population, jobs, labs, kickoff())
    assert exported(job) == {"Observation": ["o2-lab"]}
    with acting_as(labs), pytest.raises(Forbidden):
        jobs.start(population.services, kickoff(types=("Observation", "Condition")), base_urls=())


@pytest.mark.parametrize("scope", ["patient/*.rs", "user/*.rs", "user/*.read"])
async def test_a_system_export_needs_a_system_scope(
    population: Population, tmp_path: Path, scope: str
) -> None:
    jobs = ExportJobs(tmp_path)
    with acting_as(access(scope, "p1")), pytest.raises(Forbidden):
        jobs.start(population.services, kickoff(compartment=False), base_urls=())
    assert jobs.jobs == {}


async def test_a_system_export_with_a_system_scope_exports_what_it_covers(
    population: Population, tmp_path: Path
) -> None:
    jobs = ExportJobs(tmp_path)
    who = access("system/Observation.rs system/Patient.rs", None, client="backend")
    job = await run(population, jobs, who, kickoff(compartment=False))
    assert sorted(exported(job)) == ["Observation", "Patient"]
    assert len(exported(job)["Observation"]) == 5
    with acting_as(who), pytest.raises(Forbidden):
        jobs.start(population.services, kickoff(types=("Practitioner",), compartment=False))


async def test_the_job_task_acts_as_the_kickoff_access(
    population: Population, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export runs under the kick-off's access: in the task it starts, and even when the
    job is run from a context with another access (explicitly `acting_as`, not by luck of
    asyncio copying the context)."""
    seen: list[Access] = []

    async def spy(*_: object, **__: object) -> dict[str, int]:
        seen.append(current())
        return {}

    monkeypatch.setattr("gateway.services.bulk_jobs.export", spy)
    jobs = ExportJobs(tmp_path)
    who = access("patient/Observation.rs", "p1")
    with acting_as(who):
        job = jobs.start(population.services, kickoff(), base_urls=())
    assert job.task is not None
    await job.task
    with acting_as(access("user/*.rs", None, client="someone-else")):
        await jobs._run(population.services, job, ())
    assert seen == [who, who]
    assert current().unrestricted  # and outside, TRUSTED again


async def test_only_the_client_that_started_a_job_may_see_it(
    population: Population, tmp_path: Path
) -> None:
    jobs = ExportJobs(tmp_path)
    owner = access("patient/*.rs", "p1", client="app-1")
    job = await run(population, jobs, owner, kickoff())
    name = job.files["Patient"]
    for stranger in (
        access("patient/*.rs", "p1", client="app-2"),
        Access(dataclasses.replace(owner.grant, subject="someone-else")),
    ):
        with acting_as(stranger):
            with pytest.raises(NotFound):
                await jobs.lookup(job.id)
            with pytest.raises(NotFound):
                await jobs.output_file(job.id, name)
            with pytest.raises(NotFound):
                await jobs.delete(job.id)
    with acting_as(owner):
        seen = await jobs.lookup(job.id)
        assert (seen.id, seen.state, seen.files) == (job.id, "completed", job.files)
        assert (await jobs.output_file(job.id, name)).is_file()
        await jobs.delete(job.id)
    assert jobs.jobs == {}


async def test_shutdown_removes_every_job_whoever_started_it(
    population: Population, tmp_path: Path
) -> None:
    jobs = ExportJobs(tmp_path)
    job = await run(population, jobs, access("patient/*.rs", "p1"), kickoff())
    await jobs.close()  # outside any request: TRUSTED
    assert (jobs.jobs, job.directory.exists()) == ({}, False)


async def test_with_authorization_off_the_manifest_needs_no_token(
    population: Population, tmp_path: Path
) -> None:
    jobs = ExportJobs(tmp_path)
    job = jobs.start(population.services, kickoff(compartment=False))
    assert job.task is not None
    await job.task
    manifest: Json = job.manifest("files")
    assert manifest["requiresAccessToken"] is False
    seen = await jobs.lookup(job.id)  # authorization off: anyone is the owner
    assert (seen.id, seen.state) == (job.id, "completed")
