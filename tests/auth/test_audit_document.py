"""AuditEvents stored as their record's fields: read back as exactly `audit_event` makes them,
nothing of the record lost, and indexed exactly as the generic indexer indexes the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.search.index import build_indexer
from gateway.store.audit_index import audit_keys
from mappers import r4
from mappers.audit_codes import INTERACTIONS, action_of, outcome_of
from mappers.audit_document import AUDIT_MAPPER, RECORD_FIELD, record_fields, record_of
from mappers.audit_event import AuditRecord, audit_event

GENERIC = build_indexer("AuditEvent")
# What a client may send, and what the edge copies: control characters, whitespace alone,
# non-ASCII, reference-like and absolute forms, ids the reference pattern refuses.
TEXT = st.one_of(
    st.sampled_from(
        ["p1", "Patient/p9", "Practitioner/dr-1", "https://idp.example/Practitioner/7", "x y",
         "\x1f", " \t", "Ünïcode", "Patient/", "a/b/c", "urn:uuid:1", "o.1-2", "A" * 70, ""]
    ),
    st.text(max_size=12),
)  # fmt: skip
OPTIONAL = st.none() | TEXT
TYPES = st.none() | st.sampled_from(["Patient", "Observation", "AuditEvent", "Weird", "x"])
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])


@st.composite
def records(draw: st.DrawFn) -> AuditRecord:
    interaction = draw(st.sampled_from(sorted(INTERACTIONS)))
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "patch"]))
    status = draw(st.sampled_from([200, 201, 204, 400, 401, 403, 404, 412, 500, 503]))
    resource_type = draw(TYPES)
    return AuditRecord(
        interaction=interaction,
        action=action_of(method, interaction),
        outcome=outcome_of(status),
        recorded=draw(st.datetimes(timezones=ZONES, min_value=datetime(1990, 1, 1))),
        method=method,
        path=draw(TEXT),
        query=draw(OPTIONAL),
        status=status,
        client_id=draw(OPTIONAL),
        subject=draw(OPTIONAL),
        fhir_user=draw(OPTIONAL),
        source_address=draw(st.none() | st.sampled_from(["10.0.0.1", "::1", "Proxy.Internal"])),
        resource_type=resource_type,
        resource_id=draw(OPTIONAL) if resource_type else None,
        patients=tuple(draw(st.lists(TEXT.filter(bool), max_size=3))),
        request_id=draw(OPTIONAL),
        description=draw(OPTIONAL),
    )


def stored(record: AuditRecord, *, id: str = "e1") -> dict[str, Any]:
    """The document AuditStore.append stores for `record` (less the service fields)."""
    fields = record_fields(record, observer="gw")
    return {"_id": id, RECORD_FIELD: fields, **audit_keys(fields)}


def generic_keys(event: dict[str, Any]) -> dict[str, Any]:
    rest = {k: v for k, v in event.items() if k not in ("resourceType", "id")}
    return GENERIC({"fhir_rest": rest})


@settings(max_examples=400, deadline=None)
@given(records())
def test_direct_keys_are_the_generic_indexers(record: AuditRecord) -> None:
    """Same keys, same shapes, same order (a MongoDB subdocument compares in order)."""
    event = audit_event(record, id="e1", observer="gw")
    direct = audit_keys(record_fields(record, observer="gw"))
    generic = generic_keys(event)
    assert orjson.dumps(direct, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        generic, option=orjson.OPT_SORT_KEYS
    )
    for name in ("index", "sort", "exact"):
        for code, value in generic.get(name, {}).items():
            assert orjson.dumps(direct[name][code]) == orjson.dumps(value), (name, code)


@settings(max_examples=200, deadline=None)
@given(records())
def test_a_stored_event_reads_as_audit_event_makes_it(record: AuditRecord) -> None:
    event = audit_event(record, id="e1", observer="gw")
    assert AUDIT_MAPPER.document_to_fhir(stored(record)) == event


@settings(max_examples=200, deadline=None)
@given(records())
def test_nothing_of_the_record_is_lost(record: AuditRecord) -> None:
    """All but `recorded`'s microseconds, which neither an R4 instant nor MongoDB holds."""
    moment = record.recorded.astimezone(UTC)
    kept = record_of(stored(record)[RECORD_FIELD])
    assert kept == AuditRecord(
        **{
            **{name: getattr(record, name) for name in record.__slots__},
            "recorded": moment.replace(microsecond=moment.microsecond // 1000 * 1000),
        }
    )


def test_a_store_answers_dates_without_their_zone() -> None:
    """MongoDB (and the embedded store) give back naive UTC datetimes: the event is the same."""
    record = AuditRecord(
        interaction="read", action="R", outcome="0",
        recorded=datetime(2026, 3, 1, 7, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
        method="GET", path="/fhir/Patient/p1", query=None, status=200, client_id=None,
        subject=None, fhir_user=None, source_address=None, resource_type="Patient",
        resource_id="p1",
    )  # fmt: skip
    document = stored(record)
    document[RECORD_FIELD]["recorded"] = datetime(2026, 3, 1, 12, 0, 0, 123000)  # as read back
    event = AUDIT_MAPPER.document_to_fhir(document)
    assert event["recorded"] == "2026-03-01T12:00:00.123Z"
    assert event == audit_event(record, id="e1", observer="gw")
    assert r4.validate(event) == []


def test_a_document_stored_whole_still_reads() -> None:
    """An event stored before events were kept as records (the generic record's shape)."""
    record = AuditRecord(
        interaction="search-type", action="E", outcome="8",
        recorded=datetime(2026, 3, 1, 12, tzinfo=UTC), method="GET", path="/fhir/Observation",
        query="code=1", status=403, client_id="c", subject=None, fhir_user=None,
        source_address="10.0.0.1", resource_type="Observation", resource_id=None,
    )  # fmt: skip
    event = audit_event(record, id="old", observer="gw")
    body = {k: v for k, v in event.items() if k != "id"}  # the store's `with_meta` adds it
    document = {"_id": "old", "fhir_rest": {k: v for k, v in body.items() if k != "resourceType"}}
    assert AUDIT_MAPPER.document_to_fhir(document) == body
