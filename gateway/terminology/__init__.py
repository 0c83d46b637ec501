"""Terminology: value sets, code systems and concept maps, from a pluggable source.

https://hl7.org/fhir/R4/terminology-module.html. `local_source()` answers from what the gateway
holds (fhir_profiles.canonical); `source_for(url)` adds an external FHIR terminology server for
what is not held here (gateway.terminology.remote). docs/terminology.md tells the whole story.
"""

from __future__ import annotations

from functools import cache

from fhir_profiles.canonical import held
from gateway.terminology.chained import ChainedSource
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
from gateway.terminology.remote import RemoteSource
from gateway.terminology.remote_replies import codes_of as expansion_codes

__all__ = [
    "ChainedSource",
    "CodeCheck",
    "Coded",
    "ExpansionTooLarge",
    "Json",
    "LocalSource",
    "NotEnumerable",
    "RemoteSource",
    "TerminologySource",
    "TerminologyUnavailable",
    "UnknownCode",
    "UnknownCodeSystem",
    "UnknownConceptMap",
    "UnknownValueSet",
    "expansion_codes",
    "local_source",
    "source_for",
]


@cache
def local_source() -> LocalSource:
    """The held terminology, built once per process."""
    return LocalSource(held())


@cache
def source_for(server_url: str | None) -> TerminologySource:
    """The local source, or (with a server URL) the local source, then that server; one per
    URL, so the server's answers stay cached across requests."""
    if not server_url:
        return local_source()
    return ChainedSource(local_source(), RemoteSource(server_url))
