"""AuditEvents as stored: the AuditRecord's fields, mapped to the R4 AuditEvent when read.

https://hl7.org/fhir/R4/auditevent.html. An event is written for every request and read by an
auditor now and then, so it is stored the way that costs least to write: the record's fields
(a dozen strings and one date) instead of the AuditEvent's sixty-odd nested elements, which the
embedded store walks one by one on every insert. `audit_event` builds the same event from them on
read, so what is served is exactly what `audit_event(record)` gives (tested), and nothing of the
record is lost: `record_of(record_fields(r)) == r` once `recorded` is cut to the millisecond (an
R4 instant's, and MongoDB's, precision).

A document stored before events were kept this way holds the event itself (`fhir_rest`, the
generic record's shape) and reads as any type kept whole.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from typing import Any

from gateway.domain.generic import GenericRecord
from gateway.jsonio import Json
from mappers.audit_event import AuditRecord, audit_event
from mappers.base import ResourceMapper
from mappers.generic import generic_mapper

__all__ = ["AUDIT_MAPPER", "RECORD_FIELD", "record_fields", "record_of"]

# The stored document holds the record's fields in one subdocument: a document's top-level keys
# are checked one by one on every insert, and a dict of plain values is one the garbage collector
# does not track (the embedded store keeps every document in process).
RECORD_FIELD = "audit"
_OBSERVER = "observer"  # the gateway that recorded the event: source.observer.display
_FIELDS = tuple(field.name for field in fields(AuditRecord))
_GENERIC = generic_mapper("AuditEvent")


def record_fields(record: AuditRecord, *, observer: str) -> Json:
    """The fields of `record`, recorded by the gateway `observer`, as stored: those set,
    `patients` a list (when any), `recorded` as MongoDB keeps a date (UTC without a zone, to the
    millisecond)."""
    stored = {name: value for name in _FIELDS if (value := getattr(record, name)) is not None}
    stored[_OBSERVER] = observer
    stored["recorded"] = _millisecond(record.recorded)
    if record.patients:
        stored["patients"] = list(record.patients)
    else:
        del stored["patients"]
    return stored


def record_of(stored: dict[str, Any]) -> AuditRecord:
    """The record of stored fields (a driver answers dates without a zone: UTC)."""
    values: dict[str, Any] = {name: stored.get(name) for name in _FIELDS}  # absent: None
    recorded: datetime = values["recorded"]
    values["recorded"] = recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)
    values["patients"] = tuple(values["patients"] or ())
    return AuditRecord(**values)


def document_to_fhir(document: dict[str, Any]) -> Json:
    """The AuditEvent a stored document holds."""
    if "fhir_rest" in document:  # stored whole, before events were kept as records
        return _GENERIC.document_to_fhir(document)
    stored = document[RECORD_FIELD]
    return audit_event(record_of(stored), id=document["_id"], observer=stored[_OBSERVER])


def _millisecond(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# Writes through the API are refused (gateway.store.audit) after their body has been mapped like
# any type kept whole's, so only the read side differs from the generic mapper.
AUDIT_MAPPER: ResourceMapper[GenericRecord] = replace(_GENERIC, document_to_fhir=document_to_fhir)
