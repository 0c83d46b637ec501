"""ValueSet.compose evaluated against what the gateway holds: the codes, or membership.

https://hl7.org/fhir/R4/valueset.html#compose: a code is in the set when some `include` has it
and no `exclude` does; within an include, the `system` part (every code, a `concept` list, or
`filter`s, all AND-ed) and the imported `valueSet`s must all have it. A whole system or a filter
can be evaluated only over a CodeSystem held with `content: complete`; a `concept` list needs
no CodeSystem (LOINC codes by enumeration). Membership is three-valued: when a part cannot be
evaluated here, a code it might hold is "cannot tell" (None), while a code of another system is
plainly out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gateway.terminology.codesystem import CodeSystemIndex
from gateway.terminology.errors import ExpansionTooLarge, NotEnumerable, UnknownValueSet
from gateway.terminology.filters import UnsupportedFilter, apply
from gateway.terminology.model import Coded, Json
from gateway.terminology.threevalued import all3, any3, not3

MAX_CODES = 10_000
_Key = tuple[str, str]


class Composer:
    """Evaluates the compose of held value sets; expansions are cached per URL."""

    def __init__(
        self,
        value_set: Callable[[str], Json | None],
        code_system: Callable[[str], CodeSystemIndex | None],
        *,
        limit: int = MAX_CODES,
    ) -> None:
        self._value_set, self._code_system, self.limit = value_set, code_system, limit
        self._codes: dict[str, tuple[Coded, ...]] = {}
        self._by_code: dict[str, dict[str, tuple[Coded, ...]]] = {}  # url -> code -> concepts
        self._filtered: dict[tuple[str, str], frozenset[str]] = {}
        self._refused: dict[str, NotEnumerable | ExpansionTooLarge] = {}  # not retried

    def codes(self, url: str, *, within: tuple[str, ...] = ()) -> tuple[Coded, ...]:
        """Every code of the value set, in definition order; raises when not enumerable here."""
        if url in self._refused:
            raise self._refused[url].with_traceback(None)  # a fresh traceback, not a growing one
        if url not in self._codes:
            if url in within:
                raise NotEnumerable(url, "it imports itself")
            try:
                self._codes[url] = self._enumerate(url, (*within, url))
            except (NotEnumerable, ExpansionTooLarge) as error:
                self._refused[url] = error
                raise
        return self._codes[url]

    def contains(self, url: str, system: str | None, code: str) -> bool | None:
        """Whether the code is in the value set (any system when `system` is None)."""
        return self._contains(url, system, code, ())

    def find(self, url: str, system: str | None, code: str) -> Coded | None:
        """The concept of an enumerable value set with this code (and system, when given)."""
        if url not in self._by_code:
            by_code: dict[str, list[Coded]] = {}
            for coded in self.codes(url):
                by_code.setdefault(coded.code, []).append(coded)
            self._by_code[url] = {code: tuple(found) for code, found in by_code.items()}
        candidates = self._by_code[url].get(code, ())
        return next((c for c in candidates if system is None or c.system == system), None)

    def _enumerate(self, url: str, within: tuple[str, ...]) -> tuple[Coded, ...]:
        value_set = self._held(url)
        compose = value_set.get("compose")
        if compose is None:
            return tuple(_flatten(value_set.get("expansion", {}).get("contains", [])))
        found: dict[_Key, Coded] = {}
        for include in compose.get("include", []):
            for coded in self._include_codes(url, include, within):
                found.setdefault((coded.system, coded.code), coded)
                if len(found) > self.limit:
                    raise ExpansionTooLarge(url, self.limit)
        for exclude in compose.get("exclude", []):
            for coded in self._include_codes(url, exclude, within):
                found.pop((coded.system, coded.code), None)
        return tuple(found.values())

    def _include_codes(self, url: str, include: Json, within: tuple[str, ...]) -> list[Coded]:
        imported = [self._imported(url, other, within) for other in include.get("valueSet", [])]
        system = include.get("system")
        if system is None:
            if not imported:
                return []
            keep = set.intersection(*({(c.system, c.code) for c in codes} for codes in imported))
            return [c for c in imported[0] if (c.system, c.code) in keep]
        codes = self._system_codes(url, system, include)
        for other in imported:
            keys = {(c.system, c.code) for c in other}
            codes = [c for c in codes if (c.system, c.code) in keys]
        return codes

    def _imported(self, url: str, other: str, within: tuple[str, ...]) -> tuple[Coded, ...]:
        if self._value_set(other) is None:
            raise NotEnumerable(url, f"it imports ValueSet `{other}`, which is not held")
        return self.codes(other, within=within)

    def _system_codes(self, url: str, system: str, include: Json) -> list[Coded]:
        index = self._code_system(system)
        if "concept" in include:
            return [_listed(system, concept, index) for concept in include["concept"]]
        if index is None or not index.complete:
            held = "not held complete" if index else "not held"
            what = "filters on" if "filter" in include else "all codes of"
            raise NotEnumerable(url, f"it includes {what} CodeSystem `{system}`, which is {held}")
        chosen = self._passing(url, index, include.get("filter", []))
        return [
            Coded(system, code, index.display(code), index.abstract(code))
            for code in index.codes()
            if chosen is None or code in chosen
        ]

    def _passing(self, url: str, index: CodeSystemIndex, filters: list[Json]) -> set[str] | None:
        """The codes passing every filter; None without filters (all codes)."""
        chosen: set[str] | None = None
        for filter_ in filters:
            passed = self._filter(url, index, filter_)
            chosen = set(passed) if chosen is None else chosen & passed
        return chosen

    def _filter(self, url: str, index: CodeSystemIndex, filter_: Json) -> frozenset[str]:
        key = (index.url, repr(sorted(filter_.items())))
        if key not in self._filtered:
            try:
                self._filtered[key] = apply(index, filter_)
            except UnsupportedFilter as error:
                raise NotEnumerable(url, f"{error} (CodeSystem `{index.url}`)") from error
        return self._filtered[key]

    def _contains(
        self, url: str, system: str | None, code: str, within: tuple[str, ...]
    ) -> bool | None:
        if within and self._value_set(url) is None:
            return None  # an imported set not held: cannot tell
        if url not in self._refused:
            try:
                return self.find(url, system, code) is not None
            except (NotEnumerable, ExpansionTooLarge):
                pass  # decide include by include below
        if url in within:
            return None  # a set importing itself
        compose = self._held(url).get("compose", {})
        within = (*within, url)
        parts = (
            self._include_has(url, i, system, code, within) for i in compose.get("include", [])
        )
        included = any3(parts)
        if included is False:
            return False
        excluded = any3(
            self._include_has(url, e, system, code, within) for e in compose.get("exclude", [])
        )
        return all3([included, not3(excluded)])

    def _include_has(
        self, url: str, include: Json, system: str | None, code: str, within: tuple[str, ...]
    ) -> bool | None:
        own = include.get("system")
        if own is not None and system is not None and own != system:
            return False
        answers: list[bool | None] = []
        if own is not None:
            answers.append(self._system_has(url, own, include, code))
        answers.extend(
            self._contains(other, system or own, code, within)
            for other in include.get("valueSet", [])
        )
        return all3(answers) if answers else False  # neither system nor valueSet: no codes

    def _system_has(self, url: str, system: str, include: Json, code: str) -> bool | None:
        if "concept" in include:
            return any(c.get("code") == code for c in include["concept"])
        index = self._code_system(system)
        if index is None or index.find(code) is None:
            return False if index is not None and index.complete else None
        try:
            chosen = self._passing(url, index, include.get("filter", []))
        except NotEnumerable:
            return None
        return chosen is None or code in chosen

    def _held(self, url: str) -> Json:
        value_set = self._value_set(url)
        if value_set is None:
            raise UnknownValueSet(url)
        return value_set


def _listed(system: str, concept: Json, index: CodeSystemIndex | None) -> Coded:
    code = str(concept.get("code", ""))
    display = concept.get("display") or (index.display(code) if index else None)
    return Coded(system, code, display, bool(index and index.abstract(code)))


def _flatten(contains: Iterable[Json]) -> Iterable[Coded]:
    """A ValueSet given only as an expansion: its (possibly nested) `contains`, flattened."""
    for item in contains:
        if "code" in item and "system" in item:
            yield Coded(
                item["system"], item["code"], item.get("display"), bool(item.get("abstract"))
            )
        yield from _flatten(item.get("contains", []))
