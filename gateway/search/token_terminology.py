"""Token modifiers answered by terminology: `:in`, `:not-in`, `:below`, `:above`.

https://hl7.org/fhir/R4/search.html#modifiers: `:in`/`:not-in` take a ValueSet canonical URL
and match codes in (not in) its expansion; `:below`/`:above` take `system|code` and match the
code and its is-a descendants (ancestors) in the CodeSystem's hierarchy. Each becomes one clause
over the (system, code) pairs the terminology source lists, so MongoDB sees plain `$in`s on the
same paths as any token value. A value set or system the source does not hold is a 400 naming it.
"""

from __future__ import annotations

from gateway.errors import InvalidSearch
from gateway.search.escaping import split_unescaped, unescape
from gateway.search.model import NOTHING, Clause, SearchParameter
from gateway.search.paths import any_of, dotted, nest
from gateway.terminology import TerminologySource, UnknownCodeSystem, expansion_codes

MODIFIERS = frozenset({"in", "not-in", "below", "above"})
_CODED_KINDS = frozenset({"codeable", "coding", "indexed", "code"})  # Identifier has no value set
_Pairs = dict[str, set[str]]  # system -> codes


def clause(
    param: SearchParameter,
    modifier: str,
    value: str,
    *,
    paths: tuple[str, ...],
    terminology: TerminologySource,
) -> Clause:
    """`:not-in` matches resources without the element too, as `:not` does."""
    if param.kind not in _CODED_KINDS:
        raise InvalidSearch(
            f"Modifier `:{modifier}` is not supported for parameter `{param.code}`.",
            expression=param.code,
        )
    if modifier in ("in", "not-in"):
        url = unescape(value)
        if not url:
            raise InvalidSearch(
                f"`{param.code}:{modifier}` needs a ValueSet URL.", expression=param.code
            )
        pairs = _in_value_set(url, terminology)
    else:
        pairs = _in_hierarchy(param, modifier, value, terminology)
    matched = _matching(param, pairs, paths)
    return {"$nor": [matched]} if modifier == "not-in" else matched


def _in_value_set(url: str, terminology: TerminologySource) -> _Pairs:
    pairs: _Pairs = {}
    for system, code in expansion_codes(terminology.expand(url)):
        pairs.setdefault(system, set()).add(code)
    return pairs


def _in_hierarchy(
    param: SearchParameter, modifier: str, value: str, terminology: TerminologySource
) -> _Pairs:
    parts = [unescape(part) for part in split_unescaped(value, "|")]
    if len(parts) == 1 and param.system:  # a plain code whose system is implicit
        parts = [param.system, parts[0]]
    if len(parts) != 2 or not all(parts):
        raise InvalidSearch(
            f"Value `{value}` is not valid for parameter `{param.code}`: "
            f"`:{modifier}` needs `system|code`.",
            expression=param.code,
        )
    system, code = parts
    ask = terminology.descendants if modifier == "below" else terminology.ancestors
    codes = ask(system, code)
    if codes is None:
        held = terminology.holds_code_system(system)
        why = "is held here without all its codes" if held else "is not held by this server"
        raise UnknownCodeSystem(system, f"{why}, so `:{modifier}` cannot be evaluated")
    return {system: set(codes)} if codes else {}


def _matching(param: SearchParameter, pairs: _Pairs, paths: tuple[str, ...]) -> Clause:
    """Bare codes (`code` kind, `indexed` with an implicit system) are stored without their
    system: only the codes of `param.system` can match them (all codes when it is unknown)."""
    if param.kind == "code" or (param.kind == "indexed" and param.system is not None):
        codes = sorted(_codes_of(pairs, param.system))
        if not codes:
            return NOTHING
        field = ".code" if param.kind == "indexed" else ""
        return any_of([{f"{dotted(path)}{field}": {"$in": codes}} for path in paths])
    return any_of(
        [
            nest(path, {"system": system, "code": {"$in": sorted(pairs[system])}})
            for path in paths
            for system in sorted(pairs)
        ]
    )


def _codes_of(pairs: _Pairs, system: str | None) -> set[str]:
    if system is None:
        return set().union(*pairs.values())
    return pairs.get(system, set())
