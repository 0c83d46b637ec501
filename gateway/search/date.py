"""Date search: `[prefix]date` -> MongoDB clause. https://hl7.org/fhir/R4/search.html#date

Both sides are ranges (#prefix: "Searches are always performed on values that are implicitly or
explicitly a range"): the search value's from its precision, the target's from the index, which
keeps a list of `{"start", "end"}` per resource (naive UTC, end exclusive, open ends stored as
`datetime.min` and the latest storable instant). A resource matches when one of its ranges does.

Target [ts, te), search [ss, se), as in the #prefix table:
  eq  ss <= ts and te <= se   the search range fully contains the target's
  ne  ts < ss or te > se      ... does not fully contain it
  gt  te > se                 the range above the search value overlaps the target
  lt  ts < ss                 the range below the search value overlaps the target
  ge  gt or eq                le  lt or eq
  sa  ts >= se                the target starts after the search range (no overlap)
  eb  te <= ss                the target ends before the search range (no overlap)
  ap  ts < se' and te > ss'   overlap with [ss', se'), the search range widened on each side by
                              10% of the gap between now and it (#prefix `ap`)

Ranges have millisecond resolution, the one MongoDB stores (gateway.domain.time): a value with
more fraction digits covers the whole millisecond it falls in, so `eq2021-10-07T17:26:23.778000Z`
finds a stored `…23.778Z` and `gt` that same value does not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from gateway.domain.time import parse_range, utc_now
from gateway.errors import InvalidSearch
from gateway.search.model import Clause, SearchParameter
from gateway.search.prefixes import Prefix, split_prefix

Condition = Clause  # the inside of an `$elemMatch` on one {start, end} range
# The index's open-end sentinel: datetime.max truncated to MongoDB's milliseconds.
_LATEST = datetime.max.replace(microsecond=999000)
_MILLISECOND = timedelta(milliseconds=1)


def clause(param: SearchParameter, value: str, *, now: datetime | None = None) -> Clause:
    """Resources with one indexed range matching `value`; `now` (naive UTC) serves `ap`."""
    prefix, text = split_prefix(value)
    try:
        start, end = _search_range(text)
    except ValueError:
        raise InvalidSearch(
            f"Invalid date `{value}` for parameter `{param.code}`.", expression=param.code
        ) from None
    if prefix == "ap":
        start, end = _widened(start, end, now=utc_now() if now is None else now)
    condition = _CONDITIONS[prefix](start, end)
    if param.point:  # an instant t, the range [t, t + 1 ms) at millisecond precision
        return _on_point(condition, param.paths[0])
    if param.single:  # one range, stored as {start, end} itself
        return _on_field(condition, param.index_field)
    return {param.index_field: {"$elemMatch": condition}}


def _on_point(condition: Condition, field: str) -> Clause:
    """A range condition on an instant t: `start` is t, `end OP x` is `t OP x - 1 ms`."""
    parts: list[Clause] = []
    for key, value in condition.items():
        if key in ("$or", "$and"):
            parts.append({key: [_on_point(part, field) for part in value]})
        elif key == "start":
            parts.append({field: value})
        else:
            parts.append({field: {op: bound - _MILLISECOND for op, bound in value.items()}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _on_field(condition: Condition, field: str) -> Clause:
    """A condition on one range's `start`/`end`, addressed through the range's own field."""
    result: Clause = {}
    for key, value in condition.items():
        if key in ("$or", "$and"):
            result[key] = [_on_field(part, field) for part in value]
        else:
            result[f"{field}.{key}"] = value
    return result


def _search_range(text: str) -> tuple[datetime, datetime]:
    """[start, end) of a search date; minutes without seconds are fine (#date)."""
    try:
        start, end, _ = parse_range(text, allow_minutes=True)
    except ValueError:
        # #date: where a time has no zone, "the servers local time zone should be assumed";
        # ours is UTC. Only a zone-less time parses once `Z` is appended.
        start, end, _ = parse_range(text + "Z", allow_minutes=True)
    return start, end


def _widened(start: datetime, end: datetime, *, now: datetime) -> tuple[datetime, datetime]:
    """#prefix `ap`: "10% of the gap between now and the date", on each side.

    The gap is measured from now to the nearest instant of the search range (none if now is in
    it), in whole milliseconds as MongoDB stores them.
    """
    gap = max(start - now, now - end, timedelta(0))
    margin = _MILLISECOND * (gap // _MILLISECOND // 10)
    return _earlier(start, margin), _later(end, margin)


def _earlier(moment: datetime, delta: timedelta) -> datetime:
    try:
        return moment - delta
    except OverflowError:
        return datetime.min


def _later(moment: datetime, delta: timedelta) -> datetime:
    try:
        return min(moment + delta, _LATEST)
    except OverflowError:
        return _LATEST


def _eq(start: datetime, end: datetime) -> Condition:
    return {"start": {"$gte": start}, "end": {"$lte": end}}


def _ne(start: datetime, end: datetime) -> Condition:
    return {"$or": [{"start": {"$lt": start}}, {"end": {"$gt": end}}]}


def _gt(start: datetime, end: datetime) -> Condition:
    return {"end": {"$gt": end}}


def _lt(start: datetime, end: datetime) -> Condition:
    return {"start": {"$lt": start}}


def _ge(start: datetime, end: datetime) -> Condition:
    return {"$or": [_gt(start, end), _eq(start, end)]}


def _le(start: datetime, end: datetime) -> Condition:
    return {"$or": [_lt(start, end), _eq(start, end)]}


def _sa(start: datetime, end: datetime) -> Condition:
    return {"start": {"$gte": end}}


def _eb(start: datetime, end: datetime) -> Condition:
    return {"end": {"$lte": start}}


def _overlaps(start: datetime, end: datetime) -> Condition:
    """`ap`, once the search range is widened: the two half-open ranges share an instant."""
    return {"start": {"$lt": end}, "end": {"$gt": start}}


_CONDITIONS: dict[Prefix, Callable[[datetime, datetime], Condition]] = {
    "eq": _eq,
    "ne": _ne,
    "gt": _gt,
    "lt": _lt,
    "ge": _ge,
    "le": _le,
    "sa": _sa,
    "eb": _eb,
    "ap": _overlaps,
}
