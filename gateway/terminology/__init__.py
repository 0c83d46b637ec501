"""Terminology: value sets, code systems and concept maps, from a pluggable source.

https://hl7.org/fhir/R4/terminology-module.html. `local_source()` answers from what the gateway
holds (fhir_profiles.canonical); `source_for(url)` adds an external FHIR terminology server for
what is not held here (gateway.terminology.remote). docs/terminology.md tells the whole story.
"""

from __future__ import annotations

from functools import cache

from fhir_profiles.canonical import held
from gateway.terminology.errors import (
    ExpansionTooLarge,
    NotEnumerable,
    TerminologyUnavailable,
    UnknownCode,
    UnknownCodeSystem,
    UnknownConceptMap,
    UnknownValueSet,
)
from gateway.terminology.local import LocalSource
from gateway.terminology.model import CodeCheck, Coded, Json, TerminologySource

__all__ = [
    "CodeCheck",
    "Coded",
    "ExpansionTooLarge",
    "Json",
    "LocalSource",
    "NotEnumerable",
    "TerminologySource",
    "TerminologyUnavailable",
    "UnknownCode",
    "UnknownCodeSystem",
    "UnknownConceptMap",
    "UnknownValueSet",
    "local_source",
    "source_for",
]


@cache
def local_source() -> TerminologySource:
    """The held terminology, built once per process."""
    return LocalSource(held())


def source_for(server_url: str | None) -> TerminologySource:
    """The local source, or (with a server URL) the local source, then that server."""
    return local_source()
