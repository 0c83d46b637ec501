"""Reference search: one value -> one MongoDB clause. https://hl7.org/fhir/R4/search.html#reference

A value is `[id]`, `[type]/[id]` or an absolute URL (search.html#reference); `:[type]` restricts
a bare id to one target type and `:identifier` matches `Reference.identifier` instead. The index
(`index.<code>`) keeps each stored reference as `Type/id` when it is relative (version dropped)
and as written otherwise, so every form here is an equality on that field; a local reference
also matches its absolute form under this server's base.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.errors import InvalidSearch
from gateway.search.escaping import split_unescaped, unescape
from gateway.search.model import NOTHING, Clause, SearchParameter
from gateway.search.paths import any_of, nest

# The same `Type/id[/_history/v]` shape the index reads (gateway.search.index).
_TYPE_ID = re.compile(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?")
_TYPE = re.compile(r"[A-Z][A-Za-z]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")  # absolute URLs and URNs (RFC 3986)


def clause(
    param: SearchParameter, modifier: str | None, value: str, *, base_urls: tuple[str, ...] = ()
) -> Clause:
    """`base_urls`: this server's own bases; absolute URLs under them count as local."""
    if modifier == "identifier":
        if param.indexed:  # the index keeps the references, not their identifiers
            raise InvalidSearch(
                f"`:identifier` is not supported for parameter `{param.code}`.",
                expression=param.code,
            )
        return _identifier(param, value)
    type_modifier = _type_modifier(param, modifier)
    text = unescape(value)
    if not text:
        raise InvalidSearch(f"Parameter `{param.code}` needs a reference.", expression=param.code)
    local = local_form(text, base_urls)
    if _SCHEME.match(local):  # another server's URL, or a URN: only the same text matches
        return {param.index_field: text}
    typed = _TYPE_ID.fullmatch(local)
    if typed:
        return _typed(param, type_modifier, typed[1], typed[2], base_urls)
    if "/" in local:  # not `Type/id`, yet the index keeps every reference as written
        return {param.index_field: local}
    return _bare_id(param, type_modifier, local, base_urls)


def ids_clause(
    param: SearchParameter, target_type: str, ids: list[str], *, base_urls: tuple[str, ...] = ()
) -> Clause:
    """References to any of `ids` of `target_type`: the last link of a chained search."""
    stored = [form for id_ in ids for form in forms(f"{target_type}/{id_}", base_urls)]
    return {param.index_field: {"$in": stored}}


def forms(local: str, base_urls: tuple[str, ...]) -> list[str]:
    """A local `Type/id` as stored: relative, or absolute under one of this server's bases
    (the index keeps absolute references as written, since they may name another server)."""
    return [local, *(f"{base.rstrip('/')}/{local}" for base in base_urls)]


def _equal_to_any(field: str, forms: list[str]) -> Clause:
    return {field: forms[0]} if len(forms) == 1 else {field: {"$in": forms}}


def _type_modifier(param: SearchParameter, modifier: str | None) -> str | None:
    """`subject:Patient=23` is `subject=Patient/23` (search.html#reference)."""
    if modifier is None:
        return None
    if not _TYPE.fullmatch(modifier):
        raise InvalidSearch(
            f"Modifier `:{modifier}` is not supported for parameter `{param.code}`.",
            expression=param.code,
        )
    if param.targets and modifier not in param.targets:
        raise InvalidSearch(
            f"Parameter `{param.code}` cannot refer to `{modifier}`.", expression=param.code
        )
    return modifier


def local_form(text: str, base_urls: tuple[str, ...]) -> str:
    """An absolute URL under one of this server's bases as `Type/id`; anything else unchanged."""
    for base in base_urls:
        prefix = base.rstrip("/") + "/"
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _typed(
    param: SearchParameter, type_modifier: str | None, type_: str, id_: str, bases: tuple[str, ...]
) -> Clause:
    """`Type/id`: nothing matches a type the parameter can't point to (or the modifier excludes)."""
    if type_modifier not in (None, type_) or (param.targets and type_ not in param.targets):
        return NOTHING
    return _equal_to_any(param.index_field, forms(f"{type_}/{id_}", bases))


def _bare_id(
    param: SearchParameter, type_modifier: str | None, id_: str, bases: tuple[str, ...]
) -> Clause:
    """A bare id: `Type/id` for each type the parameter (or the modifier) allows."""
    types = (type_modifier,) if type_modifier else param.targets
    if not types:  # no declared targets: any type, the id matched literally
        return {param.index_field: {"$regex": "^[A-Z][A-Za-z]+/" + re.escape(id_) + "$"}}
    stored = [form for type_ in types for form in forms(f"{type_}/{id_}", bases)]
    return {param.index_field: {"$in": stored}}


def _identifier(param: SearchParameter, value: str) -> Clause:
    """`:identifier=[system]|[value]`, the token forms, on `Reference.identifier` itself."""
    parts = [unescape(part) for part in split_unescaped(value, "|")]
    if len(parts) > 2 or not any(parts):
        raise InvalidSearch(
            f"Value `{value}` is not valid for parameter `{param.code}`: expected `system|value`.",
            expression=param.code,
        )
    system, identifier = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    fields: dict[str, Any] = {}
    if system is not None:
        fields["identifier.system"] = system or None  # `|value`: no system
    if identifier:
        fields["identifier.value"] = identifier
    return any_of([nest(path, fields) for path in param.paths])
