"""The terminology the gateway holds itself: fhir_profiles.canonical.held().

R4's ValueSets, CodeSystems and ConceptMaps and the gateway's own package. Expansions and
CodeSystem indexes are built on first use and kept for the life of the process (held
resources are read-only).
"""

from __future__ import annotations

from fhir_profiles.canonical import Canonicals
from gateway.terminology.codesystem import CodeSystemIndex
from gateway.terminology.compose import MAX_CODES, Composer
from gateway.terminology.errors import (
    ExpansionTooLarge,
    NotEnumerable,
    UnknownCodeSystem,
    UnknownConceptMap,
    UnknownValueSet,
)
from gateway.terminology.expansion import expanded
from gateway.terminology.lookup import lookup
from gateway.terminology.model import CodeCheck, Json
from gateway.terminology.translate import maps_between, translate


class LocalSource:
    """A TerminologySource over held conformance resources."""

    def __init__(self, held: Canonicals, *, limit: int = MAX_CODES) -> None:
        self._held = held
        self._indexes: dict[str, CodeSystemIndex | None] = {}
        self._composer = Composer(self._value_set, self._code_system, limit=limit)

    def holds_value_set(self, url: str) -> bool:
        return self._value_set(url) is not None

    def holds_code_system(self, url: str) -> bool:
        return self._code_system(url) is not None

    def holds_concept_map(self, url: str) -> bool:
        return self._held.resolve(url, "ConceptMap") is not None

    def expand(
        self, url: str, *, text_filter: str | None = None, count: int | None = None, offset: int = 0
    ) -> Json:
        codes = self._composer.codes(url)
        value_set = self._value_set(url) or {}
        return expanded(value_set, codes, text_filter=text_filter, count=count, offset=offset)

    def contains(self, url: str, system: str | None, code: str) -> bool | None:
        return self._composer.contains(url, system, code)

    def validate_code(
        self, url: str, *, system: str | None, code: str, display: str | None = None
    ) -> CodeCheck:
        named = f"`{system}|{code}`" if system else f"`{code}`"
        found = self.contains(url, system, code)
        if found is None:
            return CodeCheck(
                None, f"Cannot tell whether {named} is in ValueSet `{url}`: {self._why(url)}"
            )
        if not found:
            return CodeCheck(False, f"Code {named} is not in ValueSet `{url}`.")
        known = self._display(url, system, code)
        if display is not None and known is not None and display.casefold() != known.casefold():
            return CodeCheck(True, f"Display `{display}` for {named} should be `{known}`.", known)
        return CodeCheck(True, "", known)

    def lookup(self, system: str, code: str, version: str | None = None) -> Json:
        canonical = f"{system}|{version}" if version else system
        index = self._code_system(canonical)
        if index is None:
            raise UnknownCodeSystem(canonical)
        return lookup(index, code)

    def descendants(self, system: str, code: str) -> frozenset[str] | None:
        index = self._code_system(system)
        return index.descendants(code) if index is not None and index.complete else None

    def ancestors(self, system: str, code: str) -> frozenset[str] | None:
        index = self._code_system(system)
        return index.ancestors(code) if index is not None and index.complete else None

    def translate(
        self,
        *,
        system: str,
        code: str,
        url: str | None = None,
        source: str | None = None,
        target: str | None = None,
        reverse: bool = False,
    ) -> Json:
        if url is not None:
            concept_map = self._held.resolve(url, "ConceptMap")
            if concept_map is None:
                raise UnknownConceptMap(url)
            maps: tuple[Json, ...] = (concept_map,)
        else:
            maps = self._held.of_type("ConceptMap")
        chosen = maps_between(maps, source=source, target=target, reverse=reverse)
        return translate(chosen, system=system, code=code, reverse=reverse)

    def _value_set(self, url: str) -> Json | None:
        return self._held.resolve(url, "ValueSet")

    def _code_system(self, url: str) -> CodeSystemIndex | None:
        if url not in self._indexes:
            resource = self._held.resolve(url, "CodeSystem")
            self._indexes[url] = None if resource is None else CodeSystemIndex.of(resource)
        return self._indexes[url]

    def _display(self, url: str, system: str | None, code: str) -> str | None:
        """The display the value set gives the code, else its CodeSystem's."""
        try:
            coded = self._composer.find(url, system, code)
        except (NotEnumerable, ExpansionTooLarge):
            coded = None
        if coded is not None and coded.display is not None:
            return coded.display
        index = self._code_system(system) if system else None
        return index.display(code) if index else None

    def _why(self, url: str) -> str:
        """Why the value set cannot be enumerated here (the message of its refusal)."""
        try:
            self._composer.codes(url)
        except (NotEnumerable, ExpansionTooLarge, UnknownValueSet) as error:
            return error.diagnostics
        return "its definition cannot be evaluated here."
