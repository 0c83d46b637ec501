"""A search query string -> SearchRequest, and back to a query string for Bundle links.

https://hl7.org/fhir/R4/search.html: parameters with `name[:modifier][.chain]=a,b` (OR) and
repetition (AND), `_has`, and the result parameters `_count`, `_sort`, `_total`, `_summary`,
`_elements`, `_include`, `_revinclude`. Unknown parameters are ignored and reported, or rejected
with `Prefer: handling=strict` (search.html#errors).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from gateway.errors import InvalidSearch
from gateway.search.model import ParsedParameter
from gateway.search.parameters import parameters_of, unsupported_parameters

Total = Literal["none", "estimate", "accurate"]
Summary = Literal["true", "false", "text", "data", "count"]
# Parameters that shape the answer rather than select resources, and those the HTTP layer owns.
RESULT_PARAMETERS = {
    "_count", "_sort", "_total", "_summary", "_elements", "_include", "_revinclude", "_cursor",
    "_format", "_pretty", "_contained", "_containedType",
}  # fmt: skip
_ITERATING = {
    "_include:iterate", "_include:recurse", "_revinclude:iterate", "_revinclude:recurse"
}  # fmt: skip
TOTALS = ("none", "estimate", "accurate")
SUMMARIES = ("true", "false", "text", "data", "count")


@dataclass(frozen=True, slots=True)
class Include:
    """`_include=Source:param[:Target]`, `:iterate` to follow included resources too.

    `*` as the parameter means every reference parameter of Source (search.html#include: "use
    the wild card * for the search parameter name, indicating that any search parameter of
    type=reference be included"). R4 defines no wildcard Source; a forward include starts from
    the resources in hand, so `_include=*`, `*:*` and `*:param` take each one's own type (what
    the CapabilityStatement's `searchInclude: *` announces). A `_revinclude` must name the type
    that refers: `*` there would search every type, and is refused.
    """

    source: str  # "*": the type of each resource included from (forward only)
    parameter: str  # "*" for every reference parameter
    target: str | None = None
    iterate: bool = False

    def format(self) -> str:
        if self.source == self.parameter == "*" and not self.target:
            return "*"
        return f"{self.source}:{self.parameter}" + (f":{self.target}" if self.target else "")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    resource_type: str
    parameters: tuple[ParsedParameter, ...]
    count: int
    sort: tuple[tuple[str, bool], ...] = ()  # (parameter code, descending)
    total: Total | None = None
    summary: Summary | None = None
    elements: tuple[str, ...] = ()
    includes: tuple[Include, ...] = ()
    revincludes: tuple[Include, ...] = ()
    cursor: str | None = None
    ignored: tuple[str, ...] = ()  # parameters not understood (lenient handling)


def parse(
    resource_type: str,
    items: Iterable[tuple[str, str]],
    *,
    default_count: int,
    max_count: int,
    strict: bool = False,
) -> SearchRequest:
    """Parse query items (in order, repeats kept) for a search of `resource_type`."""
    known = parameters_of(resource_type)
    parameters: list[ParsedParameter] = []
    results: dict[str, list[str]] = {}
    ignored: list[str] = []
    for name, value in items:
        if name in _ITERATING:  # `_include:iterate=Observation:has-member` (search.html#include)
            base_name = name.split(":")[0]
            results.setdefault(base_name, []).append(f"{value}:iterate")
            continue
        if name in RESULT_PARAMETERS:
            results.setdefault(name, []).append(value)
            continue
        if value == "":
            continue  # an empty value selects nothing and is left out (search.html)
        parsed = _parse_parameter(name, value)
        if parsed.has or parsed.name in known:
            parameters.append(parsed)
        elif strict:
            raise _not_served(resource_type, parsed.name, name)
        else:
            ignored.append(name)
    return SearchRequest(
        resource_type=resource_type,
        parameters=tuple(parameters),
        count=page_size(_last(results.get("_count")), default=default_count, maximum=max_count),
        sort=_sort(results.get("_sort")),
        total=_choice("_total", results.get("_total"), TOTALS),  # type: ignore[arg-type]
        summary=_choice("_summary", results.get("_summary"), SUMMARIES),  # type: ignore[arg-type]
        elements=tuple(e for v in results.get("_elements", []) for e in v.split(",") if e),
        includes=tuple(_include(v, "_include") for v in results.get("_include", [])),
        revincludes=tuple(_include(v, "_revinclude") for v in results.get("_revinclude", [])),
        cursor=_last(results.get("_cursor")),
        ignored=tuple(ignored),
    )


def _not_served(resource_type: str, code: str, name: str) -> InvalidSearch:
    """`Prefer: handling=strict`: an R4 parameter not offered says why; others are unknown."""
    reason = unsupported_parameters(resource_type).get(code)
    if reason is None:
        return InvalidSearch(
            f"Unknown search parameter `{name}` for {resource_type}.", expression=name
        )
    return InvalidSearch(
        f"Search parameter `{name}` of {resource_type} is not supported: {reason}.",
        expression=name,
        code="MSG_PARAM_UNKNOWN",
    )


def _parse_parameter(name: str, value: str) -> ParsedParameter:
    if name.startswith("_has:"):
        parts = name.split(":")
        if len(parts) < 4 or not all(parts[1:4]):
            raise InvalidSearch(
                f"`{name}` is not `_has:Type:reference:parameter`.", expression=name
            )
        return ParsedParameter("_has", (value,), raw_name=name, has=tuple(parts[1:]))
    head, *chain = name.split(".")
    code, _, modifier = head.partition(":")
    return ParsedParameter(code, (value,), modifier or None, tuple(chain), raw_name=name)


def _last(values: list[str] | None) -> str | None:
    """A result parameter given more than once counts as its last value."""
    return values[-1] if values else None


def page_size(text: str | None, *, default: int, maximum: int) -> int:
    """`_count` (search.html#count): a non-negative integer, capped at `maximum`."""
    if text is None:
        return default
    if not text.isdigit():
        raise InvalidSearch(f"_count `{text}` is not a non-negative integer.", expression="_count")
    return min(int(text), maximum)


def _sort(values: list[str] | None) -> tuple[tuple[str, bool], ...]:
    keys = [key for value in values or [] for key in value.split(",") if key]
    return tuple((key.lstrip("-"), key.startswith("-")) for key in keys)


def _choice(name: str, values: list[str] | None, allowed: tuple[str, ...]) -> str | None:
    if not values:
        return None
    if values[-1] not in allowed:
        raise InvalidSearch(
            f"{name} `{values[-1]}` is not one of {', '.join(allowed)}.", expression=name
        )
    return values[-1]


def _include(value: str, name: str) -> Include:
    """`Source:param[:Target]` or `*`; a trailing `:iterate` marks the `_include:iterate` form."""
    iterate = value.endswith(":iterate") or value.endswith(":recurse")
    text = value.rsplit(":", 1)[0] if iterate else value
    parts = ["*", "*"] if text == "*" else text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidSearch(f"{name} `{value}` is not `Type:parameter[:Target]`.", expression=name)
    if name == "_revinclude" and parts[0] == "*":
        raise InvalidSearch(
            f"_revinclude `{value}`: name the type that refers, as in `Observation:*`; R4 "
            "defines `*` for the search parameter only (search.html#include).",
            expression=name,
        )
    return Include(parts[0], parts[1], parts[2] if len(parts) == 3 else None, iterate)


def format_query(request: SearchRequest, *, cursor: str | None = None) -> str:
    """The query string of a link to this search (ignored parameters left out)."""
    items: list[tuple[str, str]] = [
        (p.raw_name, value) for p in request.parameters for value in p.values
    ]
    if request.sort:
        items.append(("_sort", ",".join(("-" if d else "") + c for c, d in request.sort)))
    for name, includes in (("_include", request.includes), ("_revinclude", request.revincludes)):
        for include in includes:
            items.append((f"{name}:iterate" if include.iterate else name, include.format()))
    if request.elements:
        items.append(("_elements", ",".join(request.elements)))
    for name, value in (("_summary", request.summary), ("_total", request.total)):
        if value:
            items.append((name, value))
    items.append(("_count", str(request.count)))
    if cursor:
        items.append(("_cursor", cursor))
    return urlencode(items, safe=":,|$/*")
