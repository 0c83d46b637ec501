"""What a terminology source answers, and the protocol every source follows.

https://hl7.org/fhir/R4/terminology-service.html: $expand, $validate-code, $lookup, $translate
and subsumption, asked synchronously (a remote source blocks; async callers use a thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """The answer of $validate-code and of a binding check."""

    result: bool | None  # None: this source cannot tell (value set not enumerable here)
    message: str = ""
    display: str | None = None


@dataclass(frozen=True, slots=True)
class Coded:
    """One concept of an expansion: its system, code and display."""

    system: str
    code: str
    display: str | None = None
    abstract: bool = False  # notSelectable in its CodeSystem: in the set, not for use


class TerminologySource(Protocol):
    """Value sets, code systems and concept maps, wherever they are held."""

    def holds_value_set(self, url: str) -> bool: ...

    def holds_code_system(self, url: str) -> bool: ...

    def expand(
        self,
        url: str,
        *,
        text_filter: str | None = None,
        count: int | None = None,
        offset: int = 0,
    ) -> Json:
        """An expanded ValueSet resource (valueset-operation-expand.html)."""
        ...

    def contains(self, url: str, system: str | None, code: str) -> bool | None:
        """Membership of a code in a value set; None: this source cannot tell."""
        ...

    def validate_code(
        self, url: str, *, system: str | None, code: str, display: str | None = None
    ) -> CodeCheck: ...

    def lookup(self, system: str, code: str, version: str | None = None) -> Json:
        """A Parameters resource (codesystem-operation-lookup.html)."""
        ...

    def descendants(self, system: str, code: str) -> frozenset[str] | None:
        """The code and its is-a descendants; None: the system is not held here."""
        ...

    def ancestors(self, system: str, code: str) -> frozenset[str] | None:
        """The code and its is-a ancestors; None: the system is not held here."""
        ...

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
        """A Parameters resource (conceptmap-operation-translate.html)."""
        ...
