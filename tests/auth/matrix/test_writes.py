"""Writes of every kind for every grant: the status the rule predicts, and nothing stored when
the write is refused (a transaction fails whole; a batch refuses only its forbidden entry)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from httpx import AsyncClient

from tests.auth.matrix.grants import ADMIN, GRANTS, GrantRow
from tests.auth.matrix.harness import bearer, body, smart_app
from tests.auth.matrix.known import known_failures
from tests.auth.matrix.oracle import judge
from tests.auth.matrix.world import MARK_SYSTEM
from tests.auth.matrix.writes import WRITES, Write, stored_problems, targets

pytestmark = pytest.mark.asyncio(loop_scope="module")
NUMBER = {grant.id: n for n, grant in enumerate(GRANTS)}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncClient]:
    directory: Path = tmp_path_factory.mktemp("matrix-writes")
    extra = [resource for n in range(len(GRANTS)) for resource in targets(n)]
    async with smart_app(directory, extra) as client:
        yield client


def entry_statuses(document: dict[str, object] | None) -> list[int]:
    entries = (document or {}).get("entry", [])
    assert isinstance(entries, list)
    return [int(str(e.get("response", {}).get("status", "0")).split()[0]) for e in entries]


@pytest.mark.parametrize(
    ("grant", "case"), known_failures([(g, c) for g in GRANTS for c in WRITES])
)
async def test_write_is_inside_the_grant(api: AsyncClient, grant: GrantRow, case: Write) -> None:
    n = NUMBER[grant.id]
    response = await api.request(
        case.method, case.path(n), json=case.json(n), headers={**bearer(grant), **case.headers(n)}
    )
    document = body(response)
    expect = case.predict(grant)
    verdict = judge(grant, expect, response.status_code, [document] if document else [])
    problems = verdict.problems
    if case.batch is not None:
        wanted = case.batch(grant)
        if response.status_code == 200 and entry_statuses(document) != wanted:
            problems.append(f"WRONG batch entries {entry_statuses(document)}, expected {wanted}")
        for mark, status in zip((f"b{n}a", f"b{n}b"), wanted, strict=True):
            problems += await _count(api, mark, 1 if status == 201 else 0)
    else:
        ok = response.status_code < 300
        problems += [f"STORED {p}" for p in await stored_problems(api, case, n, ok)]
    assert not problems, (problems, response.text[:500])


async def _count(api: AsyncClient, mark: str, wanted: int) -> list[str]:
    found = await api.get(
        "/Observation", params={"identifier": f"{MARK_SYSTEM}|{mark}"}, headers=bearer(ADMIN)
    )
    count = len(found.json().get("entry", []))
    return [] if count == wanted else [f"STORED {mark} {count} times, expected {wanted}"]
