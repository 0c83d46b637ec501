"""The walk: an instance's JSON checked against a compiled rule tree, element by element.

https://hl7.org/fhir/R4/validation.html — the walk follows the instance, not the definition:
only elements present are visited (plus the required ones, for their absence), so a constraint
or binding costs something only where its element occurs. Where the profile does not constrain
inside an element, the element's datatype definition (`registry.base`) supplies the rules.
What it finds, and the checks on a single value, are `findings.Findings`; a value it met
cleanly before against the same rule is skipped (`clean`).
"""

from __future__ import annotations

from typing import Any

import fhir_profiles
from gateway.conformance import clean, registry, slicing
from gateway.conformance.findings import NESTED, Findings, show
from gateway.conformance.natives import extension_or_value, has_value_or_children
from gateway.conformance.rules import PRIMITIVES, UNSET, ElementRule, Json

_RESOURCE_TYPES = fhir_profiles.resource_types()
# resources always read their context (`_nested_resource`): never remembered
_UNREMEMBERED = frozenset({"Resource", *_RESOURCE_TYPES})


class Walk(Findings):
    """One validation of one resource against one profile; collects `issues`."""

    def resource(self, rule: ElementRule, resource: Json, path: str) -> None:
        """A whole resource against the root rule of its definition."""
        self.constraints(resource, rule, rule.path, rule, path, resource)
        self.members(resource, rule, rule.path, path, resource)

    def members(
        self, obj: Json, rule: ElementRule, type_code: str, path: str, resource: Json
    ) -> None:
        """The elements of an object: unknown keys, required ones missing, each one present."""
        source = rule if rule.children else self._source(rule, type_code)
        if source is None:
            return
        present: dict[str, list[str]] = {}
        for key in obj:
            entry = source.keys.get(key)
            if entry is not None:
                present.setdefault(entry[0].name, []).append(key)
            elif key != "resourceType" and not self.selecting:
                self.unknown(key, source, path)
        for child in source.required:
            if child.name not in present:
                self.missing(child, path)
        if self.selecting:
            for child in source.children.values():
                if child.slices and child.name not in present and child not in source.required:
                    self.report("error", "value", child.id, "meets none of the slices", path)
        for name, keys in present.items():
            child = source.children[name]
            key = keys[0]
            if (
                self.shortcuts
                and child.single
                and len(keys) == 1
                and key[0] != "_"
                and "_" + key not in obj
            ):
                # one value where one is allowed: what `_element` comes to, with a call less
                value = obj[key]
                if value is not None and not isinstance(value, list):
                    target = child.type_slices.get(key, child) if child.type_slices else child
                    if not target.inert:
                        self.value(value, target, child.json_types[key], f"{path}.{key}", resource)
                        continue
                    if not isinstance(value, dict):
                        continue  # a scalar for a primitive with nothing to check
            if child.slices:
                self.child(obj, child, keys, path, resource)
            else:  # what `child` comes to, a call less
                self._element(obj, child, keys, path, resource)

    def child(
        self, obj: Json, rule: ElementRule, keys: list[str], path: str, resource: Json
    ) -> None:
        """One element of an object (its value and, for a primitive, its `_name` sibling); a
        sliced one is remembered whole when clean (`clean`), slicing included."""
        if rule.slices and self.remembers and len(keys) == 1 and "_" + keys[0] not in obj:
            found = clean.key(obj[keys[0]], rule, "." + keys[0], self.selecting)
            clean.once(self, found, rule, lambda: self._element(obj, rule, keys, path, resource))
        else:
            self._element(obj, rule, keys, path, resource)

    def _element(
        self, obj: Json, rule: ElementRule, keys: list[str], path: str, resource: Json
    ) -> None:
        key = keys[0].removeprefix("_")
        if len(keys) > 1 and any(k.removeprefix("_") != key for k in keys):
            names = sorted({k.removeprefix("_") for k in keys})
            self.report("error", "structure", rule.id, f"only one of {names} may be present", path)
            return
        type_code = rule.json_types[key]
        element_path = f"{path}.{key}"
        value, extra = obj.get(key), obj.get("_" + key)
        if rule.array != isinstance(value, list) and value is not None:
            shape = "an array" if rule.array else "a single value, not an array"
            self.report("error", "structure", rule.id, f"`{key}` must be {shape}", element_path)
            return
        items: list[Any] = value if isinstance(value, list) else [] if value is None else [value]
        count = max(len(items), len(extra) if isinstance(extra, list) else int(extra is not None))
        if count < rule.min:
            self.missing(rule, path, found=count)
        if rule.max is not None and count > rule.max:
            self.report(
                "error",
                "structure",
                rule.id,
                f"at most {rule.max} allowed, found {count}",
                element_path,
            )
        if rule.slices and not slicing.check(self, items, rule, type_code, element_path, resource):
            return
        target = rule.type_slices.get(key, rule) if rule.type_slices else rule
        if target.inert:  # a primitive with nothing to check but its shape
            for index, item in enumerate(items):
                if isinstance(item, dict | list):
                    item_path = f"{element_path}[{index}]" if rule.array else element_path
                    self.report(
                        "error", "structure", rule.id, f"must be a {type_code} value", item_path
                    )
        else:
            for index, item in enumerate(items):
                if item is not None:
                    item_path = f"{element_path}[{index}]" if rule.array else element_path
                    self.value(item, target, type_code, item_path, resource)
        if extra is not None and not self.selecting:
            self._primitive_extras(extra, type_code, element_path, resource)

    def value(
        self, item: Any, rule: ElementRule, type_code: str, path: str, resource: Json
    ) -> None:
        """One occurrence of an element, skipped when the same JSON met the same rule cleanly
        before (`clean`: most codings and codes repeat from record to record, and a bound
        code costs a terminology look-up)."""
        complex_ = type(item) is dict and type_code not in _UNREMEMBERED
        if not self.remembers or not (complex_ or rule.binding is not None):
            self._occurrence(item, rule, type_code, path, resource)
            return
        found = clean.key(item, rule, type_code, self.selecting)
        if found is not None and clean.known(found, rule):
            return
        issues, contextual = len(self.issues), self.contextual  # `clean.once`, inline: hot
        self._occurrence(item, rule, type_code, path, resource)
        if found is not None and len(self.issues) == issues and self.contextual == contextual:
            clean.remember(found, rule)

    def _occurrence(
        self, item: Any, rule: ElementRule, type_code: str, path: str, resource: Json
    ) -> None:
        """One occurrence of an element: its shape, values, binding, and what is inside."""
        if type_code in PRIMITIVES:
            if isinstance(item, dict | list):
                self.report("error", "structure", rule.id, f"must be a {type_code} value", path)
            else:
                if rule.fixed is not UNSET or rule.pattern is not UNSET:
                    self._fixed_pattern(item, rule, path)
                if rule.binding is not None:
                    self._binding(item, rule, type_code, path)
                if rule.constraints:
                    self.constraints(item, rule, type_code, rule, path, resource)
            return
        if not isinstance(item, dict):
            self.report("error", "structure", rule.id, f"must be a {type_code} object", path)
            return
        if type_code == "Resource" or type_code in _RESOURCE_TYPES:
            self._nested_resource(item, rule, path)
            return
        if rule.ele1 and not has_value_or_children(item):
            self.report(
                "error", "invariant", "ele-1", "an element must have a value or children", path
            )
        if rule.fixed is not UNSET or rule.pattern is not UNSET:
            self._fixed_pattern(item, rule, path)
        if not self.selecting:
            if rule.binding is not None:
                self._binding(item, rule, type_code, path)
            if rule.targets is not None:
                self._reference(item, rule, type_code, path)
            if type_code == "Extension" and self._extension(item, rule, path, resource):
                return
        source = self._source(rule, type_code)
        if source is not None:
            self.constraints(item, rule, type_code, source, path, resource)
            self.members(item, source, type_code, path, resource)

    def _source(self, rule: ElementRule, type_code: str) -> ElementRule | None:
        """The rule whose children apply inside an occurrence of `rule`."""
        if rule.children:
            return rule
        if rule.content is not None:
            return rule.content
        for url in rule.type_profiles.get(type_code, ()):
            defined = registry.compiled(url)
            if defined is not None and defined.root is not rule:
                return defined.root
        if type_code in NESTED:
            return rule
        found = registry.base(type_code)
        return found.root if found is not None else None

    def _extension(self, item: Json, rule: ElementRule, path: str, resource: Json) -> bool:
        """A held definition of the extension's URL, else ext-1; True when the definition did."""
        url = item.get("url")
        generic = not (rule.slice_name or rule.type_profiles or "." not in rule.path)
        defined = registry.extension(url) if generic and isinstance(url, str) else None
        if defined is not None:  # its findings name the extension's definition
            profile_url, self.url = self.url, defined.url
            try:
                self.value(item, defined.root, "Extension", path, resource)
            finally:
                self.url = profile_url
            return True
        if rule.ext1 and not extension_or_value(item):
            message = "must have either extensions or value[x], not both"
            self.report("error", "invariant", "ext-1", message, path)
        return False

    def _nested_resource(self, item: Json, rule: ElementRule, path: str) -> None:
        """A contained resource or a Bundle entry, against its type's base definition."""
        self.contextual += 1  # a resource of its own: its walk reads its root and entries
        kind = item.get("resourceType")
        defined = registry.base(kind) if isinstance(kind, str) else None
        if defined is None or defined.kind != "resource":
            self.report("error", "structure", rule.id, f"unknown resourceType {show(kind)}", path)
            return
        walk = self if rule.name == "contained" else Walk(self.url, self.source, item)
        walk.selecting, walk.entries = self.selecting, walk.entries or self.entries
        walk._reported = self._reported
        walk.resource(defined.root, item, path)
        if walk is not self:
            self.issues += walk.issues

    def _primitive_extras(self, extra: Any, type_code: str, path: str, resource: Json) -> None:
        defined = registry.base(type_code)
        for item in extra if isinstance(extra, list) else [extra]:
            if isinstance(item, dict) and defined is not None:
                self.members(item, defined.root, type_code, path, resource)
            elif item is not None:
                self.report("error", "structure", type_code, "must be an object", path)
