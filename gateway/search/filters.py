"""A SearchRequest's parameters -> one MongoDB filter.

Values of one parameter are OR-ed, repeated parameters AND-ed (search.html#combining);
`:missing` works for every type; chains (`patient.name=x`) and reverse chains (`_has`) are
resolved to ids through a Resolver, the only part that touches the database; the Resolver's
terminology source answers the token modifiers `:in`, `:not-in`, `:below`, `:above`, in a
worker thread since a remote source blocks.
"""

from __future__ import annotations

from functools import partial
from typing import Protocol

import anyio.to_thread

from gateway.errors import InvalidSearch
from gateway.search import date, number, quantity, reference, string, token, uri
from gateway.search.escaping import split_unescaped
from gateway.search.model import NOTHING, Clause, ParsedParameter, SearchParameter
from gateway.search.parameters import parameters_of
from gateway.search.paths import all_of, any_of, dotted, nest
from gateway.terminology import TerminologySource

# Chains and _has nest; past this depth a query is refused rather than run (a loop guard).
MAX_CHAIN_DEPTH = 3
_INDEXED_TYPES = ("date", "string", "reference")


class Resolver(Protocol):
    """Look-ups a filter needs: the database for chains and reverse chains, terminology for
    the token modifiers that name a value set or a code system."""

    @property
    def terminology(self) -> TerminologySource:
        """The configured terminology source (gateway.terminology.source_for)."""

    def keeps(self, resource_type: str) -> bool:
        """Whether resources of this type are stored here (and so can be chained into)."""

    async def matching_ids(
        self, resource_type: str, parameters: list[ParsedParameter], *, depth: int
    ) -> list[str]:
        """Ids of `resource_type` resources matching all `parameters`."""

    async def referencing_ids(
        self,
        resource_type: str,
        parameters: list[ParsedParameter],
        via: str,
        target: str,
        *,
        depth: int,
    ) -> list[str]:
        """Ids of `target` resources that matching `resource_type` resources point at via `via`."""


async def build_filter(
    resource_type: str,
    parameters: tuple[ParsedParameter, ...] | list[ParsedParameter],
    resolver: Resolver,
    *,
    base_urls: tuple[str, ...] = (),
    depth: int = 0,
) -> Clause:
    if depth > MAX_CHAIN_DEPTH:
        raise InvalidSearch(f"Chains and _has nest at most {MAX_CHAIN_DEPTH} deep.")
    known = parameters_of(resource_type)
    clauses: list[Clause] = []
    for parsed in parameters:
        if parsed.has:
            clauses.append(await _reverse_chain(resource_type, parsed, resolver, depth))
            continue
        parameter = known.get(parsed.name)
        if parameter is None:
            raise InvalidSearch(
                f"Unknown search parameter `{parsed.name}` for {resource_type}.",
                expression=parsed.raw_name,
            )
        if parsed.chain:
            clauses.append(await _chain(parameter, parsed, resolver, depth, base_urls))
        elif parameter.type == "token" and parsed.modifier in token.TERMINOLOGY_MODIFIERS:
            ask = partial(parameter_clause, parameter, parsed, terminology=resolver.terminology)
            clauses.append(await anyio.to_thread.run_sync(ask))  # a remote source blocks
        else:
            clauses.append(parameter_clause(parameter, parsed, base_urls=base_urls))
    return all_of(clauses)


def parameter_clause(
    parameter: SearchParameter,
    parsed: ParsedParameter,
    *,
    base_urls: tuple[str, ...] = (),
    terminology: TerminologySource | None = None,
) -> Clause:
    """One occurrence of a parameter: its comma-separated values OR-ed."""
    if parsed.modifier == "missing":
        return _missing(parameter, parsed)
    values = [v for raw in parsed.values for v in split_unescaped(raw, ",")]
    if parsed.modifier in ("not", "not-in") and parameter.type == "token":
        # `code:not=a,b`: neither a nor b (R5 words it so; R4 is silent), not "not a, or not b";
        # `:not-in=vs1,vs2` likewise: in neither value set.
        positive = None if parsed.modifier == "not" else "in"
        return {
            "$nor": [token.clause(parameter, positive, v, terminology=terminology) for v in values]
        }
    return any_of(
        [_value_clause(parameter, parsed.modifier, v, base_urls, terminology) for v in values]
    )


def _value_clause(
    parameter: SearchParameter,
    modifier: str | None,
    value: str,
    base_urls: tuple[str, ...],
    terminology: TerminologySource | None = None,
) -> Clause:
    kind = parameter.type
    if kind in ("date", "quantity", "number", "composite") and modifier is not None:
        raise InvalidSearch(
            f"Modifier `:{modifier}` is not supported for parameter `{parameter.code}`.",
            expression=parameter.code,
        )
    if kind == "token":
        return token.clause(parameter, modifier, value, terminology=terminology)
    if kind == "string":
        return string.clause(parameter, modifier, value)
    if kind == "date":
        return date.clause(parameter, value)
    if kind == "reference":
        return reference.clause(parameter, modifier, value, base_urls=base_urls)
    if kind == "quantity":
        return quantity.clause(parameter, value)
    if kind == "number":
        return number.clause(parameter, value)
    if kind == "uri":
        return uri.clause(parameter, modifier, value)
    if kind == "composite":
        return _composite(parameter, value, base_urls)
    raise InvalidSearch(
        f"Parameter `{parameter.code}` cannot be searched.", expression=parameter.code
    )


def _composite(parameter: SearchParameter, value: str, base_urls: tuple[str, ...]) -> Clause:
    """`code$value`: every part matches the same element (search.html#composite)."""
    pieces = split_unescaped(value, "$")
    if len(pieces) != len(parameter.parts):
        raise InvalidSearch(
            f"`{parameter.code}` takes {len(parameter.parts)} values joined by `$`.",
            expression=parameter.code,
        )
    together = all_of(
        [
            _value_clause(part, None, piece, base_urls)
            for part, piece in zip(parameter.parts, pieces, strict=True)
        ]
    )
    if parameter.scope is None:
        return together
    in_one_element = {parameter.scope: {"$elemMatch": together}}
    return any_of([together, in_one_element]) if parameter.also_resource else in_one_element


def _missing(parameter: SearchParameter, parsed: ParsedParameter) -> Clause:
    """`:missing=true`: no value at all; `false`: some value (search.html#missing)."""
    flag = parsed.values[-1]
    if flag not in ("true", "false"):
        raise InvalidSearch(
            f"`{parsed.raw_name}` takes true or false, not `{flag}`.", expression=parsed.raw_name
        )
    if parameter.contact_system:  # `email:missing`: no ContactPoint of that system
        present = nest(parameter.paths[0], {"system": parameter.contact_system})
        return {"$nor": [present]} if flag == "true" else present
    if parameter.type in _INDEXED_TYPES or parameter.indexed:
        fields = [parameter.index_field]
    elif parameter.type == "composite":
        raise InvalidSearch(f"`:missing` is not supported for `{parameter.code}`.")
    else:
        fields = [dotted(path) for path in parameter.paths]
    if flag == "true":
        return all_of([{field: {"$exists": False}} for field in fields])
    return any_of([{field: {"$exists": True}} for field in fields])


async def _chain(
    parameter: SearchParameter,
    parsed: ParsedParameter,
    resolver: Resolver,
    depth: int,
    base_urls: tuple[str, ...],
) -> Clause:
    """`patient.name=x`, `subject:Patient.gender=male` (search.html#chaining)."""
    if parameter.type != "reference":
        raise InvalidSearch(
            f"Only reference parameters chain; `{parameter.code}` does not.",
            expression=parsed.raw_name,
        )
    inner = _rechain(parsed)
    clauses = []
    for target in _chain_targets(parameter, parsed, inner, resolver):
        ids = await resolver.matching_ids(target, [inner], depth=depth + 1)
        if ids:
            clauses.append(reference.ids_clause(parameter, target, ids, base_urls=base_urls))
    return any_of(clauses) if clauses else NOTHING


def _chain_targets(
    parameter: SearchParameter, parsed: ParsedParameter, inner: ParsedParameter, resolver: Resolver
) -> list[str]:
    """The types a chain reaches. `subject:Patient.name` names one. Without a type, a reference
    to several types searches each kept here that has the next parameter (search.html#chaining:
    `DiagnosticReport?subject.name=peter`), refused only where that parameter's type differs
    between them ("Servers SHOULD reject a search where the logical type of the parameter is
    different across types")."""
    named = parsed.modifier or (parameter.targets[0] if len(parameter.targets) == 1 else None)
    if named is not None:
        if named not in parameter.targets:
            raise InvalidSearch(
                f"Chain `{parsed.raw_name}`: `{named}` is not a target of `{parameter.code}`.",
                expression=parsed.raw_name,
            )
        if not resolver.keeps(named):
            raise InvalidSearch(
                f"Chain `{parsed.raw_name}` reaches `{named}`, a type this server does not keep.",
                expression=parsed.raw_name,
            )
        if not inner.has and inner.name not in parameters_of(named):
            raise InvalidSearch(
                f"Chain `{parsed.raw_name}` reaches `{named}`, which has no parameter "
                f"`{inner.name}`.",
                expression=parsed.raw_name,
            )
        return [named]
    reached = [
        target
        for target in parameter.targets
        if resolver.keeps(target) and (inner.has or inner.name in parameters_of(target))
    ]
    if not reached:
        raise InvalidSearch(
            f"Chain `{parsed.raw_name}`: no target of `{parameter.code}` kept here has a "
            f"parameter `{inner.name}`.",
            expression=parsed.raw_name,
        )
    if len({parameters_of(target)[inner.name].type for target in reached if not inner.has}) > 1:
        raise InvalidSearch(
            f"Chain `{parsed.raw_name}` is ambiguous: `{inner.name}` has different types on "
            f"{', '.join(reached)}; name one, e.g. `{parameter.code}:{reached[0]}.`.",
            expression=parsed.raw_name,
        )
    return reached


def _rechain(parsed: ParsedParameter) -> ParsedParameter:
    """The next link of a chain as a parameter of the target type."""
    head, *rest = parsed.chain
    code, _, modifier = head.partition(":")
    raw = ".".join(parsed.chain)
    return ParsedParameter(code, parsed.values, modifier or None, tuple(rest), raw_name=raw)


async def _reverse_chain(
    resource_type: str, parsed: ParsedParameter, resolver: Resolver, depth: int
) -> Clause:
    """`_has:Observation:patient:code=1234`: resources that matching Observations point at."""
    source, via, *rest = parsed.has
    if not resolver.keeps(source):
        raise InvalidSearch(
            f"`{parsed.raw_name}` searches `{source}`, a type this server does not keep.",
            expression=parsed.raw_name,
        )
    if via not in parameters_of(source):
        raise InvalidSearch(
            f"`{via}` is not a search parameter of {source}.", expression=parsed.raw_name
        )
    if rest and rest[0] == "_has":
        inner = ParsedParameter("_has", parsed.values, raw_name=":".join(rest), has=tuple(rest[1:]))
    else:
        code, _, modifier = rest[0].partition(":") if rest else ("", "", "")
        inner = ParsedParameter(
            code, parsed.values, modifier or None, raw_name=rest[0] if rest else ""
        )
    ids = await resolver.referencing_ids(source, [inner], via, resource_type, depth=depth + 1)
    return {"_id": {"$in": ids}}


__all__ = ["Resolver", "build_filter", "nest", "parameter_clause"]
