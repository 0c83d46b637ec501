"""Finding and rewriting the references in FHIR JSON (https://hl7.org/fhir/R4/references.html).

One walk for every caller (Medplum has one `crawlResource`): a transaction replacing its
entries' fullUrls, the bulk importer giving references the ids their targets get, and the
import's HTTP target doing the same before it sends. A reference is any object holding a string
`reference`, at any depth: extensions and contained resources included. Pure functions over
JSON as orjson parses it; resolving a conditional reference against the store is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import fhir_profiles
from gateway.errors import InvalidResource, Issue
from gateway.jsonio import Json

T = TypeVar("T")
# Elements whose value names a resource by URI, so a fullUrl there means an entry of the Bundle.
_URI_TYPES = frozenset({"uri", "url", "oid", "uuid", "canonical"})


def holders(resource: Json) -> list[Json]:
    """The objects holding a string `reference`, in document order."""
    found: list[Json] = []
    _guarded(_collect, resource, found, ())
    return found


def references(resource: Json, names: Collection[str]) -> tuple[list[Json], bool]:
    """The reference holders, and whether another string may name one of `names` (a uri
    element or a narrative link): only then does `replace_mentions` walk the resource again,
    so a Bundle without such mentions is walked once."""
    found: list[Json] = []
    mentions = _guarded(_collect, resource, found, names)
    return found, mentions


def is_conditional(reference: str) -> bool:
    """`Patient?identifier=x|1`: a search naming the target (http.html#trules), not a contained
    (`#id`) or Bundle-local (`urn:uuid:…`) reference."""
    return "?" in reference and not reference.startswith(("#", "urn:"))


def rewrite(found: list[Json], mapping: Mapping[str, str]) -> list[Json]:
    """Replace each reference `mapping` names; the holders it does not name are returned."""
    rest: list[Json] = []
    for holder in found:
        target = mapping.get(holder["reference"])
        if target is None:
            rest.append(holder)
        else:
            holder["reference"] = target
    return rest


def replace_mentions(resource: Json, mapping: Mapping[str, str]) -> None:
    """Elements of type uri, url, oid, uuid or canonical equal to a key of `mapping`, and
    narrative links to one (`<a href>`, `<img src>`), become its value. Other strings (an
    Identifier.value) are data and stay as they are."""
    _guarded(_replace, resource, str(resource.get("resourceType", "")), mapping)


def _guarded(walk: Callable[..., T], *arguments: Any) -> T:
    """A hostile body nested deeper than Python recurses is a client error, not a crash."""
    try:
        return walk(*arguments)
    except RecursionError:
        raise InvalidResource(
            "Elements are nested too deeply.",
            issues=[Issue("Elements are nested too deeply.", code="too-long")],
        ) from None


def _collect(value: Json, found: list[Json], names: Collection[str]) -> bool:
    # Recursion measured faster than an explicit stack (bench/bench_transaction.py walks
    # every entry); type() identity checks: JSON from orjson holds no subclasses.
    mentions = False
    if type(value.get("reference")) is str:
        found.append(value)
    for key, child in value.items():
        kind = type(child)
        if kind is dict:
            mentions = _collect(child, found, names) or mentions
        elif kind is list:
            for item in child:
                if type(item) is dict:
                    mentions = _collect(item, found, names) or mentions
                elif type(item) is str and item in names:
                    mentions = True
        elif kind is str and key != "reference" and names:
            mentions = mentions or child in names or (key == "div" and "urn:" in child)
    return mentions


def _replace(value: Json, type_name: str, mapping: Mapping[str, str]) -> None:
    specs = fhir_profiles.elements().get(type_name, {})
    for key, child in value.items():
        spec = specs.get(key)
        if spec is None:
            continue
        element_type = spec[0]
        if element_type in _URI_TYPES:
            value[key] = (
                [_named(v, mapping) for v in child]
                if isinstance(child, list)
                else _named(child, mapping)
            )
        elif element_type == "xhtml" and isinstance(child, str) and "urn:" in child:
            for name, target in mapping.items():
                child = child.replace(f'"{name}"', f'"{target}"')
            value[key] = child
        else:
            inner = element_type
            for item in child if isinstance(child, list) else [child]:
                if isinstance(item, dict):
                    if element_type == "Resource":  # contained: its own type's elements
                        inner = item.get("resourceType")
                    if isinstance(inner, str):
                        _replace(item, inner, mapping)


def _named(value: Any, mapping: Mapping[str, str]) -> Any:
    """`value`, or what `mapping` makes of it when it is a string it names."""
    return mapping.get(value, value) if isinstance(value, str) else value
