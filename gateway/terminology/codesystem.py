"""One held CodeSystem, indexed: its concepts by code and its is-a hierarchy.

https://hl7.org/fhir/R4/codesystem.html. The hierarchy comes from nested `concept`s and from
the `parent`/`child`/`subsumedBy` concept properties (the v3 code systems list extra children
through `child`); both give edges parent -> child, so a code may have several parents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from gateway.terminology.model import Json

_UP = ("parent", "subsumedBy")  # property codes naming a concept's parent
_DOWN = ("child",)  # property codes naming a concept's child


@dataclass(slots=True)
class CodeSystemIndex:
    resource: Json
    concepts: dict[str, Json] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, resource: Json) -> CodeSystemIndex:
        index = cls(resource)
        index._add(resource.get("concept", []), parent=None)
        return index

    @property
    def url(self) -> str:
        return str(self.resource.get("url", ""))

    @property
    def complete(self) -> bool:
        """Only a `complete` CodeSystem lists every code (codesystem-content-mode)."""
        return self.resource.get("content") == "complete"

    def codes(self) -> Iterator[str]:
        return iter(self.concepts)

    def find(self, code: str) -> Json | None:
        return self.concepts.get(code)

    def display(self, code: str) -> str | None:
        concept = self.concepts.get(code)
        return None if concept is None else concept.get("display")

    def abstract(self, code: str) -> bool:
        return any(
            p.get("code") in ("notSelectable", "abstract") and p.get("valueBoolean") is True
            for p in self.concepts.get(code, {}).get("property", [])
        )

    def descendants(self, code: str) -> frozenset[str]:
        """The code and every code below it; empty when the code is not defined here."""
        return self._closure(code, self.children)

    def ancestors(self, code: str) -> frozenset[str]:
        return self._closure(code, self.parents)

    def defines(self, name: str) -> bool:
        """Whether `name` is a property a filter may test: the code, its display, the
        hierarchy, or one declared in CodeSystem.property."""
        declared = {p.get("code") for p in self.resource.get("property", [])}
        return name in ("code", "display", *_UP, *_DOWN) or name in declared

    def property_values(self, code: str, name: str) -> list[str]:
        """A concept's values of one property, as strings (for `=` filters and $lookup)."""
        concept = self.concepts.get(code, {})
        if name == "code":
            return [code]
        if name == "display":
            return [concept["display"]] if "display" in concept else []
        if name in _UP:
            return sorted(self.parents.get(code, ()))
        if name in _DOWN:
            return sorted(self.children.get(code, ()))
        return [
            text
            for p in concept.get("property", [])
            if p.get("code") == name and (text := _as_text(p))
        ]

    def _add(self, concepts: list[Json], parent: str | None) -> None:
        for concept in concepts:
            code = concept.get("code")
            if not isinstance(code, str):
                continue
            self.concepts.setdefault(code, concept)
            if parent is not None:
                self._link(parent, code)
            for prop in concept.get("property", []):
                other = prop.get("valueCode")
                if isinstance(other, str) and prop.get("code") in _UP:
                    self._link(other, code)
                elif isinstance(other, str) and prop.get("code") in _DOWN:
                    self._link(code, other)
            self._add(concept.get("concept", []), parent=code)

    def _link(self, parent: str, child: str) -> None:
        self.children.setdefault(parent, set()).add(child)
        self.parents.setdefault(child, set()).add(parent)

    def _closure(self, code: str, edges: dict[str, set[str]]) -> frozenset[str]:
        if code not in self.concepts:
            return frozenset()
        seen, todo = {code}, [code]
        while todo:
            for other in edges.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return frozenset(seen)


def _as_text(prop: Json) -> str:
    """The value of a concept property, whatever its type, as a filter compares it."""
    for key, value in prop.items():
        if key.startswith("value"):
            return str(value).lower() if isinstance(value, bool) else str(value)
    return ""
