"""The history feeds and system search read in orders declared indexes serve (a sort is served
by an index whose leading fields are the sort's fields, with equality filters before them)."""

from __future__ import annotations

from gateway.services.history_feed import ARCHIVED_ORDER, CURRENT_ORDER
from gateway.store.indexes import DOMAIN_COLLECTIONS, HISTORY, index_keys


def _served(collection: str, fields: tuple[str, ...]) -> bool:
    return any(keys[: len(fields)] == fields for keys in index_keys(collection))


def test_the_history_collection_serves_both_feeds() -> None:
    order = tuple(field for field, _ in ARCHIVED_ORDER)
    assert order == ("last_updated", "resource_type", "resource_id", "version_id")
    assert _served(HISTORY, order)  # every type
    assert _served(HISTORY, ("resource_type", *order[:1], *order[2:]))  # one type


def test_the_domain_collections_serve_current_versions_newest_first() -> None:
    """`_sort=_lastUpdated` (with its `_id` tie-break) and the feeds' current sources."""
    order = tuple(field for field, _ in CURRENT_ORDER)
    assert order == ("last_updated", "_id")
    for collection in DOMAIN_COLLECTIONS.values():
        assert _served(collection, order), collection


def test_the_history_collection_serves_the_newest_version_of_one_resource() -> None:
    """The range query `latest` falls back to (gateway.store.history `newest`): equality on
    type and id, sorted by version; MongoDB walks the ascending index backwards for it."""
    assert _served(HISTORY, ("resource_type", "resource_id", "version_id"))
