"""history-type and history-system: every version of every resource (of one type), newest first.

https://hl7.org/fhir/R4/http.html#history. A resource's current version lives in its type's
collection, its superseded versions and deletions in the one `history` collection
(gateway.store.history), so the feed merges several sources: the history collection and the
current collection of each type concerned. The feed's order is (lastUpdated, type, id, version),
all descending; a page reads at most `count + 1` keys from each source after the position where
the previous page stopped (keyset paging: bounded memory, and versions written while a client
pages do not shift the pages it has not read yet), then the page's versions by key.

`_since` keeps versions with lastUpdated at or after the instant. `_at` keeps, per resource, the
versions that were current at some moment of the value's range (an instant is a range of one
millisecond, as the stored lastUpdated is): version n qualifies when it was written before the
range ends and version n + 1 was not written by the range's start. lastUpdated grows with the
version number, so in the feed's order a resource's newest version before the range comes first
and the check needs only version n + 1. A deletion current at that time means the resource did
not exist then: it is left out.

Authorization (gateway.services.access): the feed is a search ("s"). A type history of a type the
token may not search is a 403; the system history passes such types by silently. The current
collections' queries carry each type's "s" clause; the history collection has no index for it,
so archived versions of a restricted type are judged one by one (gateway.services.history_grant,
which also decides when a deletion is shown). Such a feed has no `total`: counting it would mean
reading every archived version of those types (Bundle.total is optional in a history).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlencode

from gateway.domain.time import parse_range
from gateway.errors import InvalidRequest, InvalidSearch
from gateway.search.paging import Cursor, after, decode_cursor, encode_cursor
from gateway.search.paths import all_of
from gateway.services.context import Services
from gateway.services.history_grant import feed_grant, searchable, visible_archived
from gateway.store.collection import Document
from gateway.store.history import HistoryStore, history_key
from gateway.store.repository import ResourceStore
from gateway.store.versions import Version

Position = tuple[datetime, str, str, int]  # (lastUpdated, type, id, version): one feed entry
# Parameters the feed reads (http.html#history) and those the HTTP layer owns; `_list` is not
# offered (no List resources are kept), and anything else is refused rather than ignored, since
# a history Bundle has no place for a warning.
_FORMAT = ("_format", "_pretty")
ARCHIVED_ORDER = [
    ("last_updated", -1), ("resource_type", -1), ("resource_id", -1), ("version_id", -1)
]  # fmt: skip
CURRENT_ORDER = [("last_updated", -1), ("_id", -1)]


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """`GET [base]/_history` (resource_type None) or `GET [base]/{type}/_history`."""

    resource_type: str | None
    count: int
    since: str | None = None  # as sent, for links
    at: str | None = None
    cursor: str | None = None

    @property
    def since_instant(self) -> datetime | None:
        return _range("_since", self.since)[0] if self.since else None

    @property
    def at_range(self) -> tuple[datetime, datetime] | None:
        return _range("_at", self.at) if self.at else None

    def query(self, *, cursor: str | None = None) -> str:
        """The query string of a link to this feed (a page of it with `cursor`)."""
        items = [(name, value) for name, value in (("_since", self.since), ("_at", self.at))]
        kept = [(name, value) for name, value in items if value]
        kept.append(("_count", str(self.count)))
        if cursor:
            kept.append(("_cursor", cursor))
        return urlencode(kept, safe=":")


def parse_history(
    resource_type: str | None,
    items: Iterable[tuple[str, str]],
    *,
    default_count: int,
    max_count: int,
) -> HistoryRequest:
    """Query items -> HistoryRequest; a bad `_since`, `_at` or `_count` is a 400 naming it."""
    values: dict[str, str] = {}
    for name, value in items:
        if name in _FORMAT:
            continue
        if name not in ("_count", "_since", "_at", "_cursor"):
            raise InvalidSearch(
                f"`{name}` is not a parameter of history (http.html#history: _count, _since, _at).",
                expression=name,
            )
        values[name] = value
    request = HistoryRequest(
        resource_type,
        count=_count(values.get("_count"), default=default_count, maximum=max_count),
        since=values.get("_since"),
        at=values.get("_at"),
        cursor=values.get("_cursor"),
    )
    _ = request.since_instant, request.at_range  # refuse a bad value before any read
    return request


def _count(text: str | None, *, default: int, maximum: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise InvalidRequest(f"_count `{text}` is not a positive integer.", expression="_count")
    return min(int(text), maximum)


def _range(name: str, text: str) -> tuple[datetime, datetime]:
    try:
        start, end, _ = parse_range(text)
    except ValueError:
        raise InvalidSearch(
            f"{name} `{text}` is not a FHIR instant (e.g. 2026-01-31T12:00:00Z) or date.",
            expression=name,
        ) from None
    return start, end


@dataclass(frozen=True, slots=True)
class _Row:
    position: Position
    archived: bool  # in the history collection (else the type's current collection)
    deleted: bool


class _Source(Protocol):
    async def rows(self, position: Position | None, limit: int) -> list[_Row]:
        """The next `limit` entries after `position` in the feed's order."""

    async def count(self) -> int:
        """Every entry of this source in the feed."""


@dataclass(frozen=True, slots=True)
class _Archived:
    """Superseded versions and deletions: the history collection, one type's or all."""

    history: HistoryStore
    query: Document

    async def rows(self, position: Position | None, limit: int) -> list[_Row]:
        query = self.query if position is None else all_of([self.query, archived_after(position)])
        documents = await self.history.keys(query, sort=ARCHIVED_ORDER, limit=limit)
        return [
            _Row(
                (d["last_updated"], d["resource_type"], d["resource_id"], d["version_id"]),
                archived=True,
                deleted=d.get("method") == "DELETE",
            )
            for d in documents
        ]

    async def count(self) -> int:
        return await self.history.count(self.query)


@dataclass(frozen=True, slots=True)
class _Current:
    """The current versions of one type."""

    store: ResourceStore
    query: Document

    async def rows(self, position: Position | None, limit: int) -> list[_Row]:
        conditions = [self.query]
        if position is not None:
            conditions.append(current_after(self.store.resource_type, position))
        documents = await self.store.keys(
            all_of(conditions), fields=["version_id"], sort=CURRENT_ORDER, limit=limit
        )
        kind = self.store.resource_type
        return [
            _Row(
                (d["last_updated"], kind, d["_id"], d["version_id"]), archived=False, deleted=False
            )
            for d in documents
        ]

    async def count(self) -> int:
        return await self.store.count(self.query)


def archived_after(position: Position) -> Document:
    """History entries after `position` in the feed's (descending) order."""
    return after(ARCHIVED_ORDER, position)


def current_after(resource_type: str, position: Position) -> Document:
    """Current versions of `resource_type` after `position` in the feed's order. The type is
    the collection's, so it decides whether an equal lastUpdated is before or after."""
    updated, position_type, resource_id, _ = position
    if resource_type < position_type:
        return {"last_updated": {"$lte": updated}}
    if resource_type > position_type:
        return {"last_updated": {"$lt": updated}}
    return after(CURRENT_ORDER, (updated, resource_id))


@dataclass(slots=True)
class HistoryPage:
    versions: list[Version]
    total: int | None = None
    next_cursor: str | None = None


async def history_feed(services: Services, request: HistoryRequest) -> HistoryPage:
    """One page of the feed, and the cursor of the next."""
    cursor = decode_cursor(request.cursor, fields=4) if request.cursor else None
    position = _position(cursor.values) if cursor else None
    sources, judged = await _sources(services, request)
    rows: list[_Row] = []
    while len(rows) <= request.count:  # one more than a page tells whether another follows
        batch = await _merged(sources, position, request.count + 1)
        if not batch:
            break
        position = batch[-1].position
        rows.extend(await _granted(services, judged, await _current_at(services, request, batch)))
    more = len(rows) > request.count
    rows = rows[: request.count]
    total = cursor.total if cursor else None if judged else await _total(sources, request)
    page = HistoryPage(searchable(await _versions(services, rows)), total)
    if more and rows:
        page.next_cursor = encode_cursor(Cursor(rows[-1].position, False, total))
    return page


def _position(values: Sequence[object]) -> Position:
    updated, resource_type, resource_id, version_id = values
    if not (
        isinstance(updated, datetime)
        and isinstance(resource_type, str)
        and isinstance(resource_id, str)
        and isinstance(version_id, int)
    ):
        raise InvalidSearch(
            "The `_cursor` is not one this server issued for this history.", expression="_cursor"
        )
    return updated, resource_type, resource_id, version_id


async def _sources(
    services: Services, request: HistoryRequest
) -> tuple[list[_Source], frozenset[str]]:
    """The history collection and the current collections concerned, each with its filter
    (the grant's clause on the current ones); and the types whose archived versions must be
    judged one by one (gateway.services.history_grant)."""
    grant = await feed_grant(services, request.resource_type)
    bounds = time_bounds(request)
    archived_query = all_of([grant.archived, *bounds])
    archived = _Archived(services.storage.history, archived_query)
    current_sources = [
        _Current(services.store(t), all_of([*bounds, clause]))
        for t, clause in grant.current.items()
    ]
    return [archived, *current_sources], grant.judged


async def _granted(services: Services, judged: frozenset[str], rows: list[_Row]) -> list[_Row]:
    """The rows the token may see: archived rows of a judged type only when history_grant
    says so (the others passed the grant's clause in their query)."""
    checked = [(row.position[1:], row.deleted) for row in rows if _is_judged(row, judged)]
    if not checked:
        return rows
    visible = await visible_archived(services, checked)
    return [row for row in rows if not _is_judged(row, judged) or row.position[1:] in visible]


def _is_judged(row: _Row, judged: frozenset[str]) -> bool:
    return row.archived and row.position[1] in judged


def time_bounds(request: HistoryRequest) -> list[Document]:
    """`_since` and `_at` as conditions on lastUpdated, for every source."""
    bounds: list[Document] = []
    if request.since_instant is not None:
        bounds.append({"last_updated": {"$gte": request.since_instant}})
    if request.at_range is not None:
        bounds.append({"last_updated": {"$lt": request.at_range[1]}})
    return bounds


async def _merged(sources: list[_Source], position: Position | None, limit: int) -> list[_Row]:
    """The next `limit` entries of the feed: each source's next `limit`, merged."""
    rows: dict[Position, _Row] = {}
    for source in sources:
        for row in await source.rows(position, limit):
            rows.setdefault(row.position, row)
    return sorted(rows.values(), key=lambda row: row.position, reverse=True)[:limit]


async def _current_at(services: Services, request: HistoryRequest, rows: list[_Row]) -> list[_Row]:
    """Without `_at`, every row; with it, those current during its range (module docstring):
    an archived version n is out when version n + 1 was written by the range's start, in the
    history or as the current version."""
    if request.at_range is None:
        return rows
    start = request.at_range[0]
    archived = [row.position for row in rows if row.archived]
    superseded: set[tuple[str, str, int]] = set()
    if archived:
        newer = await services.storage.history.keys(
            {
                "_id": {"$in": [history_key(t, i, v + 1) for _, t, i, v in archived]},
                "last_updated": {"$lte": start},
            },
            sort=ARCHIVED_ORDER,
            limit=len(archived),
        )
        superseded = {(d["resource_type"], d["resource_id"], d["version_id"] - 1) for d in newer}
    by_type: dict[str, set[str]] = {}
    for _, resource_type, resource_id, _ in archived:
        by_type.setdefault(resource_type, set()).add(resource_id)
    replaced: set[tuple[str, str]] = set()
    for resource_type, ids in by_type.items():
        query = {"_id": {"$in": sorted(ids)}, "last_updated": {"$lte": start}}
        replaced.update((resource_type, i) for i in await services.store(resource_type).ids(query))
    return [
        row
        for row in rows
        if not row.deleted
        and row.position[1:] not in superseded
        and not (row.archived and row.position[1:3] in replaced)
    ]


async def _total(sources: list[_Source], request: HistoryRequest) -> int | None:
    """Every entry of the feed, counted on its first page (not with `_at`, which is decided
    per resource)."""
    if request.at is not None:
        return None
    return sum([await source.count() for source in sources])


async def _versions(services: Services, rows: list[_Row]) -> list[Version]:
    """The page's versions, in its order. A current version replaced since its key was read
    has been archived meanwhile, and is read from there."""
    archived_keys = [history_key(*row.position[1:]) for row in rows if row.archived]
    found: dict[tuple[str, str, int], Version] = {}
    for version in (await services.storage.history.versions(archived_keys)).values():
        found[version.resource_type, version.id, version.version_id] = version
    by_type: dict[str, list[_Row]] = {}
    for row in rows:
        if not row.archived:
            by_type.setdefault(row.position[1], []).append(row)
    for resource_type, current_rows in by_type.items():
        store = services.store(resource_type)
        documents = await store.current_documents([row.position[2] for row in current_rows])
        current = {d["_id"]: d for d in documents}
        for row in current_rows:
            _, _, resource_id, version_id = row.position
            document = current.get(resource_id)
            if document is not None and document["version_id"] == version_id:
                found[row.position[1:]] = store.to_version(document)
            elif (moved := await store.version(resource_id, version_id)) is not None:
                found[row.position[1:]] = moved
    return [found[row.position[1:]] for row in rows if row.position[1:] in found]
