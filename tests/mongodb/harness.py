"""Two stores, the same documents, the same filters: do they answer alike?

The golden filters (tests/search) pin the exact MongoDB filter each search sends; everywhere
but CI the embedded store (mongomock with gateway.store.embedded's accelerations) answers them.
This harness seeds the same documents into one collection of each store through the
ResourceStore the searches read through, so MongoDB gets Decimal128 where a write would store
one and a filter's exact bounds as the search converts them, then asks both stores the same
questions a search asks: the documents matched, their count, their order under each sort, and
keyset pages (gateway.search.paging) read to the end. Any difference is a finding, named by case.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.search.paging import sort_values
from gateway.store.collection import Database, Document, Filter, OwnedDocument, SortSpec
from gateway.store.history import HistoryStore
from gateway.store.indexes import HISTORY
from gateway.store.repository import ResourceStore
from mappers.generic import generic_mapper

BY_ID: tuple[SortSpec, ...] = ([("_id", 1)], [("_id", -1)])
PAGE = 3  # rows per keyset page: small, so that a handful of matches spans several pages
MAX_PAGES = 500


@dataclass(frozen=True, slots=True)
class Seed:
    """Documents shaped as the store keeps them, and the sorts their searches use (each ends
    with `_id`, as gateway.search.paging's do)."""

    name: str
    documents: tuple[Document, ...]
    sorts: tuple[SortSpec, ...] = BY_ID


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    filter: Filter


@dataclass(frozen=True, slots=True)
class Answer:
    """Everything a search reads from the store for one filter."""

    matched: frozenset[str]
    total: int
    orders: tuple[tuple[str, ...], ...]  # the ids in each of the seed's sorts
    pages: tuple[tuple[tuple[str, ...], ...], ...]  # keyset pages in each sort


Outcome = Answer | str  # a string: the error the store raised, which a search would turn into a 500


async def seeded(database: Database, seed: Seed) -> ResourceStore:
    """A store over a new collection holding `seed`'s documents (each store its own copies:
    the embedded store keeps an inserted OwnedDocument as it is)."""
    # Any mapper does: the harness reads documents, never served resources.
    store = ResourceStore(
        generic_mapper("Basic"), database[f"seed_{seed.name}"], HistoryStore(database[HISTORY])
    )
    documents = [OwnedDocument(copy.deepcopy(d)) for d in seed.documents]
    stored = await store.insert_many(documents)
    assert stored == {d["_id"] for d in seed.documents}, f"seed `{seed.name}` not stored whole"
    return store


async def answer(store: ResourceStore, query: Filter, sorts: Sequence[SortSpec]) -> Outcome:
    try:
        matched = frozenset(d["_id"] for d in await store.fetch(query))
        total = await store.count(query)
        orders = tuple([tuple(await store.ids(query, sort=sort)) for sort in sorts])
        pages = tuple([await keyset_pages(store, query, sort) for sort in sorts])
    except Exception as error:  # compared like an answer: both stores must refuse alike
        return f"{type(error).__name__}: {error}"
    return Answer(matched, total, orders, pages)


async def keyset_pages(
    store: ResourceStore, query: Filter, sort: SortSpec
) -> tuple[tuple[str, ...], ...]:
    pages: list[tuple[str, ...]] = []
    after: tuple[Any, ...] | None = None
    while True:
        rows = await store.keys(query, sort=sort, limit=PAGE, after=after)
        if not rows:
            return tuple(pages)
        pages.append(tuple(row["_id"] for row in rows))
        if len(pages) > MAX_PAGES:  # a keyset that never moves on would loop forever
            raise AssertionError(f"paging did not end after {MAX_PAGES} pages: {pages[-2:]}")
        after = sort_values(rows[-1], list(sort))


async def differences(
    cases: Sequence[Case],
    seed: Seed,
    embedded: Database,
    server: Database,
    *,
    server_seed: Seed | None = None,
) -> list[str]:
    """One line per case the two stores answer differently, both answers in it, or either
    refuses (a golden filter a store cannot run would be a 500). `server_seed`: other documents
    for the server, to prove a difference is seen."""
    ours = await seeded(embedded, seed)
    theirs = await seeded(server, server_seed or seed)
    found = []
    for case in cases:
        mine = await answer(ours, case.filter, seed.sorts)
        other = await answer(theirs, case.filter, seed.sorts)
        if mine != other or isinstance(mine, str) or isinstance(other, str):
            found.append(f"{seed.name}/{case.name}: embedded {mine} != server {other}")
    return found
