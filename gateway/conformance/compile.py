"""A StructureDefinition snapshot compiled into a tree of `ElementRule`s.

https://hl7.org/fhir/R4/profiling.html#slicing — element ids name the tree: `A.b` is a child of
`A`, `A.b:s` a slice of `A.b`, `A.b:s.c` a child of that slice. Choice types become their JSON
names (`value[x]` with types Quantity and string -> `valueQuantity`, `valueString`), and a slice
of a choice named after one of them (`value[x]:valueQuantity`) becomes that name's rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import fhir_profiles
from fhir_profiles.canonical import held
from gateway.conformance import slicing
from gateway.conformance.invariants import compile_constraints
from gateway.conformance.rules import (
    PRIMITIVES,
    SYSTEM_PREFIX,
    UNSET,
    Discriminator,
    ElementRule,
    Json,
)

_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_CORE = "http://hl7.org/fhir/StructureDefinition/"


def compile_snapshot(definition: Json) -> tuple[ElementRule, dict[str, ElementRule]]:
    """The root rule of a StructureDefinition's snapshot, and every rule by element id."""
    elements = [e for e in definition.get("snapshot", {}).get("element", ()) if "id" in e]
    if not elements:
        raise ValueError(f"StructureDefinition `{definition.get('url')}` has no snapshot")
    by_id: dict[str, ElementRule] = {}
    root: ElementRule | None = None
    for element in elements:
        rule = _rule(element)
        parent_id, _, last = element["id"].rpartition(".")
        name, _, slice_name = last.partition(":")
        by_id[element["id"]] = rule
        if slice_name:
            sliced = by_id.get(f"{parent_id}.{name}" if parent_id else name)
            if sliced is None:
                continue
            rule.slice_name = slice_name
            if slice_name in sliced.json_types:
                sliced.type_slices[slice_name] = rule
            else:
                sliced.slices.append(rule)
        elif not parent_id:
            root = root or rule
        elif parent_id in by_id:
            by_id[parent_id].children[name] = rule
    if root is None:
        raise ValueError(f"StructureDefinition `{definition.get('url')}` has no root element")
    for element in elements:
        reference = element.get("contentReference")
        if isinstance(reference, str):
            target = by_id.get(reference.partition("#")[2])
            by_id[element["id"]].content = target
    for element_id, rule in by_id.items():
        rule.id = _shown_id(element_id, by_id)
        rule.inert = (
            all(t in PRIMITIVES for t in rule.types)
            and bool(rule.types)
            and rule.fixed is UNSET
            and rule.pattern is UNSET
            and rule.binding is None
            and not rule.constraints
        )
        rule.single = not rule.array and rule.min <= 1 and rule.max != 0 and not rule.slices
        _index_keys(rule)
        slicing.prepare(rule)
    _mark_selectors(root)
    return root, by_id


def _shown_id(element_id: str, by_id: dict[str, ElementRule]) -> str:
    """The id issues name: a choice segment is written as the JSON name it stands for,
    `value[x]:valueQuantity` as `valueQuantity` anywhere, and, before a child, a `value[x]`
    allowing one type as that type's name (`Observation.value[x].code` ->
    `Observation.valueQuantity.code`), the form `ElementDefinition.id` also allows."""
    segments = element_id.split(".")
    shown = []
    for depth, segment in enumerate(segments):
        name, _, slice_name = segment.partition(":")
        rule = by_id.get(".".join(segments[: depth + 1]))
        if name.endswith("[x]") and rule is not None and slice_name in rule.json_types:
            segment = slice_name
        elif name.endswith("[x]") and not slice_name and depth < len(segments) - 1:
            only = list(rule.json_types) if rule is not None else []
            segment = only[0] if len(only) == 1 else segment
        shown.append(segment)
    return ".".join(shown)


def _rule(element: Json) -> ElementRule:
    path = str(element.get("path", element["id"]))
    name = path.rpartition(".")[2]
    types = tuple(_type_code(t) for t in _each(element.get("type")))
    base_max = str((element.get("base") or {}).get("max", element.get("max", "1")))
    constraints, ele1, ext1 = compile_constraints(element)
    strength = (element.get("binding") or {}).get("strength")
    value_set = (element.get("binding") or {}).get("valueSet")
    fixed = [v for k, v in element.items() if k.startswith("fixed")]
    pattern = [v for k, v in element.items() if k.startswith("pattern")]
    slicing = element.get("slicing") or {}
    return ElementRule(
        id=element["id"],
        path=path,
        name=name,
        min=int(element.get("min", 0)),
        max=None if element.get("max", "*") == "*" else int(element["max"]),
        array=base_max != "1" and "." in path,
        types=types,
        json_types=_json_types(name, types),
        fixed=fixed[0] if fixed else UNSET,
        pattern=pattern[0] if pattern else UNSET,
        binding=(strength, value_set)
        if strength in ("required", "extensible") and isinstance(value_set, str)
        else None,
        targets=_targets(element),
        type_profiles={
            _type_code(t): tuple(t["profile"])
            for t in _each(element.get("type"))
            if t.get("profile")
        },
        constraints=constraints,
        ele1=ele1,
        ext1=ext1,
        discriminators=tuple(
            Discriminator(str(d.get("type")), _path(str(d.get("path", "$this"))))
            for d in _each(slicing.get("discriminator"))
        ),
        closed=slicing.get("rules") == "closed",
    )


def _type_code(type_: Json) -> str:
    code = str(type_.get("code", ""))
    if code.startswith(SYSTEM_PREFIX):
        for extension in _each(type_.get("extension")):
            if extension.get("url") == _FHIR_TYPE and isinstance(extension.get("valueUrl"), str):
                return str(extension["valueUrl"])
        return code.removeprefix(SYSTEM_PREFIX).lower()
    return code


def _json_types(name: str, types: tuple[str, ...]) -> dict[str, str]:
    if name.endswith("[x]"):
        stem = name[:-3]
        return {stem + t[0].upper() + t[1:]: t for t in types}
    return {name: types[0] if types else "BackboneElement"}


def _targets(element: Json) -> frozenset[str] | None:
    """The resource types a Reference may point at; None: any (or not a Reference)."""
    found: set[str] = set()
    for type_ in _each(element.get("type")):
        if type_.get("code") != "Reference":
            continue
        for url in type_.get("targetProfile", ()):
            target = _profile_type(str(url))
            if target is None or target == "Resource":
                return None
            found.add(target)
    return frozenset(found) or None


def _profile_type(url: str) -> str | None:
    name = url.removeprefix(_CORE)
    if name in fhir_profiles.resource_types():
        return name
    definition = held().resolve(url, "StructureDefinition")
    return str(definition["type"]) if definition and "type" in definition else None


def _path(text: str) -> tuple[str, ...]:
    return () if text == "$this" else tuple(text.removeprefix("$this.").split("."))


def _index_keys(rule: ElementRule) -> None:
    for child in rule.children.values():
        for key, type_code in child.json_types.items():
            rule.keys[key] = (child, type_code)
            if type_code in PRIMITIVES:
                rule.keys["_" + key] = (child, type_code)
    rule.required = tuple(
        c for c in rule.children.values() if c.min > 0 or any(s.min > 0 for s in c.slices)
    )


def _mark_selectors(rule: ElementRule) -> bool:
    """Mark every rule with a fixed or pattern value or a required slice at or below it."""
    below = [_mark_selectors(r) for r in (*rule.children.values(), *rule.slices)]
    below += [_mark_selectors(r) for r in rule.type_slices.values()]
    rule.selector = (
        rule.fixed is not UNSET
        or rule.pattern is not UNSET
        or any(s.min > 0 for s in rule.slices)
        or any(below)
    )
    return rule.selector


def _each(value: Any) -> Iterable[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
