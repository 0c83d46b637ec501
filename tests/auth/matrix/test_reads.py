"""Reads and every kind of search, for every grant of the table (see cases.py, grants.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from httpx import AsyncClient

from tests.auth.matrix.cases import READS
from tests.auth.matrix.grants import ADMIN, GRANTS, GrantRow
from tests.auth.matrix.harness import bearer, body, smart_app
from tests.auth.matrix.known import known_failures
from tests.auth.matrix.oracle import Expect, judge
from tests.auth.matrix.predictions import Case

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncClient]:
    directory: Path = tmp_path_factory.mktemp("matrix-reads")
    async with smart_app(directory) as client:
        yield client


@pytest.mark.parametrize(
    ("grant", "case"),
    known_failures([(g, c) for g in GRANTS for c in READS]),
)
async def test_answer_is_inside_the_grant(api: AsyncClient, grant: GrantRow, case: Case) -> None:
    response = await api.request(
        case.method, case.path, params=case.params, json=case.json, data=case.data,
        headers={**bearer(grant), **case.headers},
    )  # fmt: skip
    document = body(response)
    verdict = judge(
        grant, case.predict(grant), response.status_code, [document] if document else []
    )
    assert not verdict.problems, (verdict.problems, response.text[:500])


@pytest.mark.parametrize("grant", [g for g in GRANTS if g.searches_anything()], ids=lambda g: g.id)
async def test_a_next_link_from_a_wider_token_stays_inside_the_grant(
    api: AsyncClient, grant: GrantRow
) -> None:
    """Paging state is not authority: a cursor made for a `system/*.*` search, replayed with a
    narrower token, pages through what that token may search only."""
    wide = await api.get("/Observation", params={"_count": "2"}, headers=bearer(ADMIN))
    next_url = next(link["url"] for link in wide.json()["link"] if link["relation"] == "next")
    response = await api.get(next_url, headers=bearer(grant))
    document = body(response)
    expect = Expect(
        frozenset({200, 403}) if not grant.allows("s", "Observation") else frozenset({200}),
        letter="s",
    )
    verdict = judge(grant, expect, response.status_code, [document] if document else [])
    assert not verdict.problems, (verdict.problems, response.text[:300])
