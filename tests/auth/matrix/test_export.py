"""Bulk `$export` for every grant: system level needs a `system/` scope; `Patient/$export` any
context, limited to what the token may read. Every NDJSON line of every file is judged by the
oracle, and the status, manifest and files are reachable only with the token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import pytest_asyncio
from httpx import AsyncClient

from tests.auth.matrix.grants import GRANTS, GrantRow
from tests.auth.matrix.harness import ISSUER, bearer, smart_app
from tests.auth.matrix.known import known_failures
from tests.auth.matrix.oracle import Expect, judge
from tests.auth.matrix.world import FACTS, Json

pytestmark = pytest.mark.asyncio(loop_scope="module")
ASYNC = {"Prefer": "respond-async"}


def system_export(grant: GrantRow) -> Expect:
    """Bulk Data: system-level export is for backend services: a `system/` scope, or 403."""
    if grant.context == "system" and grant.searches_anything():
        required = frozenset(f.ref for f in FACTS.values() if grant.permits("s", f))
        return Expect.of(202, letter="s", required=required)
    if grant.context == "system":
        return Expect.of(202, 403, letter="s")  # a system/ scope that searches nothing
    return Expect.of(403, letter="s")


def patient_export(grant: GrantRow) -> Expect:
    """Any context, limited to what the token may read of the patients' compartments."""
    if not grant.searches_anything():
        return Expect.of(202, 403, letter="s")
    required = frozenset(f.ref for f in FACTS.values() if f.owner and grant.permits("s", f))
    return Expect.of(202, letter="s", required=required)


def typed_export(grant: GrantRow) -> Expect:
    """`_type=Observation,Patient`: a type named but not allowed -> 403."""
    if grant.context != "system" or not all(
        grant.allows("s", t) for t in ("Observation", "Patient")
    ):
        return Expect.of(403, letter="s")
    required = frozenset(
        f.ref for f in FACTS.values()
        if f.resource_type in ("Observation", "Patient") and grant.permits("s", f)
    )  # fmt: skip
    return Expect.of(202, letter="s", required=required)


@dataclass(frozen=True, slots=True)
class Kickoff:
    id: str
    path: str
    params: dict[str, str]
    predict: Callable[[GrantRow], Expect]


KICKOFFS = [
    Kickoff("system $export", "/$export", {}, system_export),
    Kickoff("Patient/$export", "/Patient/$export", {}, patient_export),
    Kickoff("system $export _type", "/$export", {"_type": "Observation,Patient"}, typed_export),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncClient]:
    directory: Path = tmp_path_factory.mktemp("matrix-export")
    async with smart_app(directory) as client:
        yield client


async def _manifest(api: AsyncClient, url: str, headers: dict[str, str]) -> Json:
    for _ in range(200):
        status = await api.get(url, headers=headers)
        if status.status_code == 200:
            manifest: Json = status.json()
            return manifest
        assert status.status_code == 202, status.text
        await asyncio.sleep(0.02)
    raise AssertionError(f"export {url} did not finish")


@pytest.mark.parametrize(
    ("grant", "case"), known_failures([(g, k) for g in GRANTS for k in KICKOFFS])
)
async def test_export_is_inside_the_grant(api: AsyncClient, grant: GrantRow, case: Kickoff) -> None:
    headers = bearer(grant)
    kickoff = await api.get(case.path, params=case.params, headers={**headers, **ASYNC})
    expect = case.predict(grant)
    documents: list[Json] = []
    problems: list[str] = []
    if kickoff.status_code == 202:
        status_url = kickoff.headers["content-location"]
        anonymous = await api.get(status_url)
        if anonymous.status_code != 401:
            problems.append(f"WRONG status URL without a token: {anonymous.status_code}")
        manifest = await _manifest(api, status_url, headers)
        if manifest.get("requiresAccessToken") is not True:
            problems.append(
                "WRONG manifest requiresAccessToken is not true, yet files need the token"
            )
        for output in manifest["output"]:
            if (await api.get(output["url"])).status_code != 401:
                problems.append(f"WRONG {output['url']} downloads without a token")
            file = await api.get(output["url"], headers=headers)
            assert file.status_code == 200, file.text
            documents += [orjson.loads(line) for line in file.content.splitlines() if line.strip()]
    verdict = judge(grant, expect, kickoff.status_code, documents)
    problems = verdict.problems + problems
    assert not problems, (problems, kickoff.text[:300])


async def test_another_client_cannot_poll_the_job(api: AsyncClient) -> None:
    """Only the client that started an export may poll it (anyone else: 404, not revealing it)."""
    owner = next(g for g in GRANTS if g.id == "system-all-rs-v2")
    kickoff = await api.get("/$export", headers={**bearer(owner), **ASYNC})
    assert kickoff.status_code == 202, kickoff.text
    stranger = ISSUER.token(scope="system/*.rs", sub="another-client", client_id="another-client")
    answer = await api.get(
        kickoff.headers["content-location"], headers={"Authorization": f"Bearer {stranger}"}
    )
    assert answer.status_code == 404, answer.text
