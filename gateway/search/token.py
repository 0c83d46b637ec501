"""Token search: one value -> one MongoDB clause. https://hl7.org/fhir/R4/search.html#token

Forms (search.html#token): `[code]` any system, `[system]|[code]`, `|[code]` no system,
`[system]|` any code of the system. What "system" and "code" are depends on the element kind
(the table under #token): Coding.system/code, CodeableConcept.coding, Identifier.system/value,
ContactPoint.use/value, or a plain code/boolean/id whose system is implicit (`param.system`:
the one code system of the value set the element is bound to; on a type kept whole the
`indexed` entries keep the bare code and the system is matched here). Modifiers
(search.html#modifiers): `:not`, `:text`, `:of-type` (Identifier only); `:missing` is handled by
the caller; `:in :not-in :below :above` ask a terminology source (gateway.search.token_terminology).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gateway.errors import InvalidSearch
from gateway.search import token_terminology
from gateway.search.escaping import split_unescaped, unescape
from gateway.search.model import NOTHING, Clause, SearchParameter
from gateway.search.normalise import starts_with_pattern
from gateway.search.paths import any_of, dotted, nest
from gateway.terminology import TerminologySource, local_source

TERMINOLOGY_MODIFIERS = token_terminology.MODIFIERS
# The sub-element names holding a token's system and code, per element kind; `indexed`: the
# entries a write computed for a type kept whole (gateway.search.values), whatever the element.
_FIELDS = {"codeable": ("system", "code"), "coding": ("system", "code"),
           "identifier": ("system", "value"), "contact": ("use", "value"),
           "indexed": ("system", "code")}  # fmt: skip
TERMINOLOGY_MODIFIERS = token_terminology.MODIFIERS
_TEXT_KINDS = ("codeable", "coding", "identifier", "indexed")
_OF_TYPE_KINDS = {"identifier": ("type.coding", "value"), "indexed": ("type", "code")}


def clause(
    param: SearchParameter,
    modifier: str | None,
    value: str,
    *,
    paths: tuple[str, ...] | None = None,
    terminology: TerminologySource | None = None,
) -> Clause:
    """The clause for one token value; `paths` overrides `param.paths` (composite components);
    `terminology` answers `:in`, `:below`... (default: what the gateway holds)."""
    paths = param.paths if paths is None else paths
    if modifier is not None and modifier in TERMINOLOGY_MODIFIERS:
        source = local_source() if terminology is None else terminology
        return token_terminology.clause(param, modifier, value, paths=paths, terminology=source)
    if modifier == "not":  # search.html#modifiers: resources without the element match too
        return {"$nor": [_positive(param, value, paths)]}
    if modifier == "text" and param.kind in _TEXT_KINDS:
        return _text(param, value, paths)
    if modifier == "of-type" and param.kind in _OF_TYPE_KINDS:
        return _of_type(param, value, paths)
    if modifier is not None:
        raise InvalidSearch(
            f"Modifier `:{modifier}` is not supported for parameter `{param.code}`.",
            expression=param.code,
        )
    return _positive(param, value, paths)


def codes_by_system(param: SearchParameter, codes: Mapping[str, Sequence[str]]) -> Clause:
    """`s1|a,s1|b,s2|c,...` as one clause: an element with a system of `codes` and one of that
    system's codes (`$in`), codes taken as they are (they never went through a query string).

    The OR of single values is one `$or` branch per code; a service asking for many
    identifiers at once (gateway.services.apps.stale) needs one branch per system, each served
    by the identifier index (code, system) with one key range per code. With several systems
    the clause starts with the systems alone: implied by the branches, it lets a store without
    indexes (the embedded one tests every document) drop the documents of other systems in one
    test (the demo's re-send: 0.20 s -> 0.10 s of queries). For the kinds that keep the system
    beside the code; a plain code with an implicit system has no system to match.
    """
    kind = param.kind or ""
    if kind not in _FIELDS or kind == "contact" or param.system is not None:
        raise ValueError(f"Token parameter `{param.code}` keeps no system beside its codes.")
    system_field, code_field = _FIELDS[kind]
    branches = [
        any_of([_on_element(path, {system_field: system, code_field: {"$in": list(values)}})
                for path in param.paths])
        for system, values in codes.items()
    ]  # fmt: skip
    if len(branches) < 2:
        return any_of(branches)
    systems = any_of([{f"{dotted(p)}.{system_field}": {"$in": list(codes)}} for p in param.paths])
    return {"$and": [systems, any_of(branches)]}


def _positive(param: SearchParameter, value: str, paths: tuple[str, ...]) -> Clause:
    if param.allowed and unescape(value) not in param.allowed:
        raise _invalid(param, value, f"expected {' or '.join(f'`{a}`' for a in param.allowed)}")
    kind = param.kind or ""
    if kind in _FIELDS:
        return _structured(param, value, paths)
    if kind in _SCALARS:
        return _SCALARS[kind](param, value, paths)
    raise ValueError(f"Token parameter `{param.code}` has no kind.")  # a registry bug, not a 400


def _structured(param: SearchParameter, value: str, paths: tuple[str, ...]) -> Clause:
    """Coding, CodeableConcept.coding, Identifier, ContactPoint: system and code on one element;
    `indexed` entries of plain codes with an implicit system: the code alone (`_bare`)."""
    system, code = _system_and_code(param, value)
    system_field, code_field = _FIELDS[param.kind or ""]
    if param.kind == "indexed" and param.system is not None:
        return _bare(param, system, code, code_field, paths)
    fields: dict[str, Any] = {}
    if system is not None:
        fields[system_field] = system or None  # `|code`: None matches a missing system
    if code:
        fields[code_field] = code
    if param.kind == "contact" and param.contact_system:
        fields["system"] = param.contact_system  # phone, email: only ContactPoints of that system
    return any_of([_on_element(path, fields) for path in paths])


def _on_element(path: str, fields: dict[str, Any]) -> Clause:
    """One condition as a dotted key; several through `nest`, so one element holds them all."""
    if len(fields) == 1:
        ((name, condition),) = fields.items()
        return {f"{dotted(path)}.{name}": condition}
    return nest(path, fields)


def _code(param: SearchParameter, value: str, paths: tuple[str, ...]) -> Clause:
    """A plain code whose system is implicit (`param.system`, from the element's binding).

    `system|code` matches only that system. `|code` asks for codes without a system: a bound
    code always has one, so it matches nothing when `param.system` is known. Without a known
    system any explicit system matches nothing and `|code` matches the code.
    """
    system, code = _system_and_code(param, value)
    return _bare(param, system, code, "", paths)


def _bare(
    param: SearchParameter, system: str | None, code: str, field: str, paths: tuple[str, ...]
) -> Clause:
    """Codes stored without their system, which is `param.system` (implicit in the binding):
    an explicit system must be that one, `|code` (no system) matches nothing once a system is
    known, `system|` any code. `field`: the code's key inside each element ("" for the element
    itself). The system is matched here rather than stored, so old documents need no reindex
    and the code's index (`index.<code>.code`) serves the filter."""
    if system is not None and system != (param.system or ""):
        return NOTHING
    keys = [f"{dotted(path)}.{field}" if field else dotted(path) for path in paths]
    condition: Any = code if code else {"$ne": None}  # `system|`: any code at all
    return any_of([{key: condition} for key in keys])


def _boolean(param: SearchParameter, value: str, paths: tuple[str, ...]) -> Clause:
    text = unescape(value)
    if text not in ("true", "false"):
        raise _invalid(param, value, "expected `true` or `false`")
    return any_of([{dotted(path): text == "true"} for path in paths])


def _id(param: SearchParameter, value: str, paths: tuple[str, ...]) -> Clause:
    """A resource id is a plain string: no system part, `|` can't occur in an id."""
    return any_of([{dotted(path): unescape(value)} for path in paths or ("_id",)])


_Scalar = Callable[[SearchParameter, str, tuple[str, ...]], Clause]
_SCALARS: dict[str, _Scalar] = {"code": _code, "boolean": _boolean, "id": _id}


def _text(param: SearchParameter, value: str, paths: tuple[str, ...]) -> Clause:
    """`:text`: starts-with on the texts a person reads, compared as string search compares
    (search.html#modifiers: "processed as a string"; case, accents and spacing ignored).

    CodeableConcept.text or any Coding.display; Coding.display; Identifier.type.text.
    """
    text = unescape(value)
    if not text.strip():
        raise _invalid(param, value, "`:text` needs some text")
    pattern = {"$regex": starts_with_pattern(text), "$options": "i"}
    keys = [key for path in paths for key in _text_keys(param, path)]
    return any_of([{key: pattern} for key in keys])


def _text_keys(param: SearchParameter, path: str) -> list[str]:
    """`indexed` entries keep CodeableConcept.text, Coding.display and Identifier.type.text
    alike as `display`."""
    if param.kind == "identifier":
        return [f"{dotted(path)}.type.text"]
    keys = [f"{dotted(path)}.display"]
    if param.kind == "codeable" and path.endswith(".coding[]"):
        keys.insert(0, f"{dotted(path.removesuffix('.coding[]'))}.text")
    return keys


def _of_type(param: SearchParameter, value: str, paths: tuple[str, ...]) -> Clause:
    """`:of-type=typesystem|typecode|value`, all three parts present (search.html#token)."""
    parts = [unescape(part) for part in split_unescaped(value, "|")]
    if len(parts) != 3 or not all(parts):
        raise _invalid(param, value, "`:of-type` needs `system|code|value`")
    type_system, type_code, identifier = parts
    type_coding = {"$elemMatch": {"system": type_system, "code": type_code}}
    codings, value = _OF_TYPE_KINDS[param.kind or ""]
    return any_of([nest(path, {codings: type_coding, value: identifier}) for path in paths])


def _system_and_code(param: SearchParameter, value: str) -> tuple[str | None, str]:
    """(system, code), unescaped; system None without `|`, "" for `|code`."""
    parts = [unescape(part) for part in split_unescaped(value, "|")]
    if len(parts) > 2:
        raise _invalid(param, value, "a `|` inside a system or code must be escaped as `\\|`")
    system, code = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    if not code and not system:
        raise _invalid(param, value, "a code or a system is needed")
    return system, code


def _invalid(param: SearchParameter, value: str, reason: str) -> InvalidSearch:
    return InvalidSearch(
        f"Value `{value}` is not valid for parameter `{param.code}`: {reason}.",
        expression=param.code,
    )
