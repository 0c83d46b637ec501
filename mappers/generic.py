"""Any other R4 resource type <-> `GenericRecord`: the whole resource kept in `fhir_rest`."""

from __future__ import annotations

from functools import cache

from gateway.domain.generic import GenericRecord
from mappers.base import ResourceMapper, record_mapper
from mappers.names import FhirNames, NameTable


@cache
def generic_mapper(resource_type: str) -> ResourceMapper[GenericRecord]:
    """The mapper of `resource_type` (one per type: its element order is the type's own)."""
    names: NameTable = {GenericRecord: FhirNames(resource_type, {})}
    return record_mapper(resource_type, GenericRecord, names=names, texts={})
