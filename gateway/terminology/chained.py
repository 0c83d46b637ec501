"""The held terminology first, then an external server for what is not held or not enumerable.

The local source answers whatever it holds and can evaluate; the remote one is asked only when
the local one does not hold the value set, code system or concept map, or cannot tell (a
SNOMED CT filter, all of LOINC). A local "not in the set" is final; a value set held here that
the server does not know either stays "cannot tell" (or the local refusal to expand it).
"""

from __future__ import annotations

from gateway.terminology.errors import NotEnumerable, UnknownValueSet
from gateway.terminology.local import LocalSource
from gateway.terminology.model import CodeCheck, Json, TerminologySource
from gateway.terminology.remote_replies import parameter


class ChainedSource:
    def __init__(self, local: LocalSource, remote: TerminologySource) -> None:
        self.local, self.remote = local, remote

    def holds_value_set(self, url: str) -> bool:
        return self.local.holds_value_set(url) or self.remote.holds_value_set(url)

    def holds_code_system(self, url: str) -> bool:
        return self.local.holds_code_system(url) or self.remote.holds_code_system(url)

    def expand(
        self, url: str, *, text_filter: str | None = None, count: int | None = None, offset: int = 0
    ) -> Json:
        if not self.local.holds_value_set(url):
            return self.remote.expand(url, text_filter=text_filter, count=count, offset=offset)
        try:
            return self.local.expand(url, text_filter=text_filter, count=count, offset=offset)
        except NotEnumerable as refused:  # the server may hold the code systems it needs
            try:
                return self.remote.expand(url, text_filter=text_filter, count=count, offset=offset)
            except UnknownValueSet:
                raise refused from None

    def contains(self, url: str, system: str | None, code: str) -> bool | None:
        if not self.local.holds_value_set(url):
            return self.remote.contains(url, system, code)
        found = self.local.contains(url, system, code)
        if found is not None:
            return found
        try:
            return self.remote.contains(url, system, code)
        except UnknownValueSet:
            return None  # held here, unknown there: nobody can tell

    def validate_code(
        self, url: str, *, system: str | None, code: str, display: str | None = None
    ) -> CodeCheck:
        if not self.local.holds_value_set(url):
            return self.remote.validate_code(url, system=system, code=code, display=display)
        check = self.local.validate_code(url, system=system, code=code, display=display)
        if check.result is not None:
            return check
        try:
            return self.remote.validate_code(url, system=system, code=code, display=display)
        except UnknownValueSet:
            return check

    def lookup(self, system: str, code: str, version: str | None = None) -> Json:
        canonical = f"{system}|{version}" if version else system
        source = self.local if self.local.holds_code_system(canonical) else self.remote
        return source.lookup(system, code, version)

    def descendants(self, system: str, code: str) -> frozenset[str] | None:
        found = self.local.descendants(system, code)
        return self.remote.descendants(system, code) if found is None else found

    def ancestors(self, system: str, code: str) -> frozenset[str] | None:
        found = self.local.ancestors(system, code)
        return self.remote.ancestors(system, code) if found is None else found

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
        """A map named by `url` is asked where it is held; otherwise the held maps first, and
        the server when none of them maps the code."""
        if url is None or self.local.holds_concept_map(url):
            answer = self.local.translate(
                system=system, code=code, url=url, source=source, target=target, reverse=reverse
            )
            if url is not None or parameter(answer, "result") is True:
                return answer
        return self.remote.translate(
            system=system, code=code, url=url, source=source, target=target, reverse=reverse
        )
