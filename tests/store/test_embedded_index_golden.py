"""Every golden search filter (tests/search, gathered by tests/mongodb/golden_tables.py) asked
of an embedded store whose seed collection indexes every field the filters name, and of one
that scans as mongomock does: the same ids, count, order in each sort and keyset pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from gateway.store import embedded_upkeep
from gateway.store.embedded import embedded_client
from gateway.store.embedded_index import IndexedDocuments, candidates, indexed_fields
from tests.mongodb.golden_tables import TABLES, GoldenTable
from tests.mongodb.harness import answer, seeded


def named_fields(filter: Any, prefix: str = "") -> set[str]:
    """The document paths a filter names, `$elemMatch` keys joined to their array's path."""
    found: set[str] = set()
    if isinstance(filter, list):
        for part in filter:
            found |= named_fields(part, prefix)
    elif isinstance(filter, Mapping):
        for key, value in filter.items():
            if key == "$elemMatch" or key.startswith("$"):
                found |= named_fields(value, prefix)
            else:
                found.add(f"{prefix}{key}")
                found |= named_fields(value, f"{prefix}{key}.")
    return found - {"_id"}


@pytest.mark.parametrize("table", TABLES, ids=lambda table: table.name)
async def test_golden_filters_answer_as_mongomocks_scan(
    table: GoldenTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = await table.cases()
    fields = tuple(sorted(set().union(*(named_fields(case.filter) for case in cases))))
    monkeypatch.setattr(  # the seed collections are declared nowhere: all their fields here
        embedded_upkeep,
        "indexed_fields",
        lambda name: fields if name.startswith("seed_") else indexed_fields(name),
    )
    indexed = await seeded(embedded_client()["indexed"], table.seed)
    with embedded_upkeep.scanning():  # the reference: a store that never indexes
        scanned = await seeded(embedded_client()["scanned"], table.seed)
        assert type(indexed.collection._store._documents) is IndexedDocuments  # type: ignore[attr-defined]
        assert type(scanned.collection._store._documents) is not IndexedDocuments  # type: ignore[attr-defined]
        found = [
            f"{case.name}: indexed {ours} != scanned {theirs}"
            for case in cases
            if (ours := await answer(indexed, case.filter, table.seed.sorts))
            != (theirs := await answer(scanned, case.filter, table.seed.sorts))
        ]
    assert found == []


async def test_most_golden_filters_take_their_candidates_from_the_index() -> None:
    """The comparison above is worth something only where the index narrowed: the token,
    reference and string tables do; date and number ranges, and `:missing`, scan."""
    served, cases = 0, 0
    for table in TABLES:
        asked = await table.cases()
        fields = tuple(sorted(set().union(*(named_fields(case.filter) for case in asked))))
        index = IndexedDocuments(fields, [(d["_id"], d) for d in table.seed.documents])
        served += sum(candidates(case.filter, index) is not None for case in asked)
        cases += len(asked)
    assert served >= 0.4 * cases, (served, cases)
