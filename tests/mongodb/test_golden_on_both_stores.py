"""Every golden search filter asked of the embedded store and of MongoDB over the same
documents: the same ids, count, order in each sort and keyset pages (tests/mongodb/harness.py).

Here, without a server, the "server" is a second embedded store: that run proves the harness
and its seeds work, and the tests below prove it can fail. In CI it is MongoDB 7.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

import tests.search
from gateway.store.embedded import embedded_client
from tests.mongodb.conftest import database_name
from tests.mongodb.golden_tables import PAGING, TABLES, TOKENS, GoldenTable, rows
from tests.mongodb.harness import Answer, Case, answer, differences, seeded


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
async def test_golden_filters_answer_alike(table: GoldenTable, server_client: Any) -> None:
    name = database_name()
    try:
        found = await differences(
            await table.cases(), table.seed, embedded_client()[name], server_client[name]
        )
    finally:
        await server_client.drop_database(name)
    assert found == []


def golden_filter_tables() -> set[str]:
    """`module.test` of every table in tests/search pinning filters: a parametrized test with
    an `expected` argument that is a MongoDB filter (a mapping) in every row."""
    found = set()
    for module_info in pkgutil.iter_modules(tests.search.__path__):
        module = importlib.import_module(f"tests.search.{module_info.name}")
        for name, test in vars(module).items():
            table = rows(test) if name.startswith("test_") else []
            if table and all(isinstance(row.get("expected"), Mapping) for _, row in table):
                found.add(f"{module_info.name}.{name}")
    return found


async def test_every_golden_filter_table_is_compared() -> None:
    assert golden_filter_tables() == {table.name for table in TABLES}
    assert sum([len(await table.cases()) for table in TABLES]) >= 200


async def test_the_seeds_give_the_filters_something_to_match() -> None:
    """A comparison of empty answers proves little: over its seed, every table has filters
    that match some document, and most filters do."""
    matching, cases = {}, 0
    for table in TABLES:
        store = await seeded(embedded_client()[database_name()], table.seed)
        answers = [
            await answer(store, case.filter, table.seed.sorts) for case in await table.cases()
        ]
        matching[table.name] = sum(isinstance(a, Answer) and bool(a.matched) for a in answers)
        cases += len(answers)
    assert [name for name, count in matching.items() if count == 0] == []
    assert sum(matching.values()) >= 0.75 * cases, matching


async def test_a_different_seed_is_a_difference_named_by_case() -> None:
    without_o1 = replace(TOKENS, documents=tuple(d for d in TOKENS.documents if d["_id"] != "o1"))
    table = next(t for t in TABLES if t.seed is TOKENS)
    found = await differences(
        await table.cases(),
        TOKENS,
        embedded_client()["a"],
        embedded_client()["b"],
        server_seed=without_o1,
    )
    named = {line.split(":", 1)[0] for line in found}
    assert "token/codeable-code" in named  # o1 and o2 have code 1234-5
    assert "token/identifier-value" not in named  # a patient's identifier: o1 plays no part


async def test_a_different_order_or_page_is_a_difference() -> None:
    """The same documents matched, in another order: `a` scores lowest on the server."""
    rescored = [{**d, "score": -1} if d["_id"] == "a" else d for d in PAGING.documents]
    found = await differences(
        [Case("all", {})],
        PAGING,
        embedded_client()["a"],
        embedded_client()["b"],
        server_seed=replace(PAGING, documents=tuple(rescored)),
    )
    assert len(found) == 1
    ours = await answer(await seeded(embedded_client()["c"], PAGING), {}, PAGING.sorts)
    theirs = await answer(
        await seeded(embedded_client()["d"], replace(PAGING, documents=tuple(rescored))),
        {},
        PAGING.sorts,
    )
    assert isinstance(ours, Answer)
    assert isinstance(theirs, Answer)
    assert (ours.matched, ours.total) == (theirs.matched, theirs.total)
    assert ours.orders != theirs.orders
    assert ours.pages != theirs.pages


async def test_a_filter_a_store_refuses_is_a_difference() -> None:
    found = await differences(
        [Case("unknown-operator", {"status": {"$bogus": 1}})],
        PAGING,
        embedded_client()["a"],
        embedded_client()["b"],
    )
    assert len(found) == 1
    assert "unknown-operator" in found[0]
