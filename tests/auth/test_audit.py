"""The AuditEvent of a request: valid R4, coded as BALP codes RESTful interactions, and found by
R4's AuditEvent search parameters (their expressions run through the gateway's FHIRPath)."""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.jsonio import Json
from gateway.search.fhirpath import compile_expression
from mappers import r4
from mappers.audit_codes import INTERACTIONS
from mappers.audit_event import AuditRecord, action_of, audit_event, outcome_of

WHEN = datetime(2026, 12, 5, 13, 0, 1, 234567, tzinfo=UTC)
# R4 AuditEvent search parameters (fhir_profiles/search-parameters), as R4 writes them.
EXPRESSIONS = {
    "date": "AuditEvent.recorded",
    "agent": "AuditEvent.agent.who",
    "entity": "AuditEvent.entity.what",
    "patient": "AuditEvent.agent.who.where(resolve() is Patient)"
    " | AuditEvent.entity.what.where(resolve() is Patient)",
    "outcome": "AuditEvent.outcome",
}


def record(**changes: Any) -> AuditRecord:
    """A user's read of Observation/o1 about Patient p1, changed by `changes`."""
    base = AuditRecord(
        interaction="read",
        action="R",
        outcome="0",
        recorded=WHEN,
        method="GET",
        path="/fhir/Observation/o1",
        query=None,
        status=200,
        client_id="growth-chart",
        subject="user-7",
        fhir_user="Practitioner/dr-1",
        source_address="192.0.2.10",
        resource_type="Observation",
        resource_id="o1",
        patients=("p1",),
        request_id="req-1",
    )
    return dataclasses.replace(base, **changes)


def searched(event: Json, parameter: str) -> list[Any]:
    """The values `parameter` indexes in `event`: a reference's `reference`, else the value."""
    values = compile_expression("AuditEvent", EXPRESSIONS[parameter])(event)
    return [
        v.get("reference", v.get("identifier")) if isinstance(v, dict) else v for v, _ in values
    ]


READ = record()
SEARCH = record(
    interaction="search-type",
    action="E",
    path="/fhir/Observation",
    query="patient=p1&code=http://loinc.org|4548-4",
    resource_id=None,
)
CREATE = record(
    interaction="create",
    action="C",
    outcome="0",
    method="POST",
    path="/fhir/Observation",
    status=201,
    resource_id="new-1",
)
NO_TOKEN = record(
    outcome="4",
    status=401,
    client_id=None,
    subject=None,
    fhir_user=None,
    patients=(),
    description="no token",
)
NO_SCOPE = record(outcome="8", status=403, description="no scope for Observation.r")
SERVER_ERROR = record(outcome="12", status=500)
PATIENT_READ = record(
    path="/fhir/Patient/p1", resource_type="Patient", resource_id="p1", patients=("p1",)
)
CASES = [
    pytest.param(READ, id="read"),
    pytest.param(SEARCH, id="search"),
    pytest.param(CREATE, id="create"),
    pytest.param(NO_TOKEN, id="401"),
    pytest.param(NO_SCOPE, id="403"),
    pytest.param(SERVER_ERROR, id="500"),
    pytest.param(PATIENT_READ, id="patient-read"),
]


def test_read_is_the_whole_balp_event() -> None:
    assert audit_event(READ, id="ae-1", observer="fhir-gateway") == {
        "resourceType": "AuditEvent",
        "id": "ae-1",
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "Restful Operation",
        },
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "read"}],
        "action": "R",
        "recorded": "2026-12-05T13:00:01.234Z",
        "outcome": "0",
        "outcomeDesc": "GET /fhir/Observation/o1 200",
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://dicom.nema.org/resources/ontology/DCM",
                            "code": "110153",
                            "display": "Source Role ID",
                        }
                    ]
                },
                "requestor": True,
                "who": {
                    "reference": "Practitioner/dr-1",
                    "display": "Practitioner/dr-1",
                    "identifier": {"value": "growth-chart"},
                },
                "altId": "user-7",
                "network": {"address": "192.0.2.10", "type": "2"},
            }
        ],
        "source": {
            "observer": {"display": "fhir-gateway"},
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "4",
                    "display": "Application Server",
                }
            ],
        },
        "entity": [
            {
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "2",
                    "display": "System Object",
                },
                "role": {
                    "system": "http://terminology.hl7.org/CodeSystem/object-role",
                    "code": "4",
                    "display": "Domain Resource",
                },
                "what": {"reference": "Observation/o1"},
            },
            {
                "what": {"reference": "Patient/p1"},
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "1",
                    "display": "Person",
                },
                "role": {
                    "system": "http://terminology.hl7.org/CodeSystem/object-role",
                    "code": "1",
                    "display": "Patient",
                },
            },
            {
                "what": {"identifier": {"value": "req-1"}},
                "type": {
                    "system": "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType",
                    "code": "XrequestId",
                },
            },
        ],
    }


@pytest.mark.parametrize("case", CASES)
def test_every_event_is_valid_r4(case: AuditRecord) -> None:
    assert r4.validate(audit_event(case, id="ae-1", observer="fhir-gateway")) == []


def test_search_records_its_query_as_base64() -> None:
    event = audit_event(SEARCH, id="ae-2", observer="gw")
    queries = [e for e in event["entity"] if "query" in e]
    assert len(queries) == 1
    assert base64.b64decode(queries[0]["query"]).decode() == SEARCH.query
    assert queries[0]["role"]["code"] == "24"  # object-role: Query
    assert queries[0]["description"] == "GET /fhir/Observation"
    assert "name" not in queries[0]  # R4 sev-1: name or query, not both
    assert event["action"] == "E"
    assert searched(event, "entity") == ["Patient/p1", {"value": "req-1"}]


def test_create_names_the_new_resource() -> None:
    event = audit_event(CREATE, id="ae-3", observer="gw")
    assert (event["action"], event["outcome"]) == ("C", "0")
    assert searched(event, "entity")[0] == "Observation/new-1"


def test_refused_create_without_id_names_the_type() -> None:
    event = audit_event(
        dataclasses.replace(CREATE, resource_id=None, status=403, outcome="8"),
        id="x",
        observer="gw",
    )
    assert event["entity"][0]["name"] == "Observation"
    assert "what" not in event["entity"][0]
    assert r4.validate(event) == []


def test_denied_without_token_has_an_anonymous_agent_and_the_reason() -> None:
    event = audit_event(NO_TOKEN, id="ae-4", observer="gw")
    assert event["outcome"] == "4"
    assert event["outcomeDesc"] == "GET /fhir/Observation/o1 401: no token"
    assert event["agent"] == [
        {
            "type": event["agent"][0]["type"],
            "requestor": True,
            "network": {"address": "192.0.2.10", "type": "2"},
        }
    ]
    assert searched(event, "agent") == []


def test_denied_for_scope_is_a_serious_failure_with_its_agent() -> None:
    event = audit_event(NO_SCOPE, id="ae-5", observer="gw")
    assert searched(event, "outcome") == ["8"]
    assert event["outcomeDesc"] == "GET /fhir/Observation/o1 403: no scope for Observation.r"
    assert searched(event, "agent") == ["Practitioner/dr-1"]


def test_server_error_is_a_major_failure() -> None:
    assert searched(audit_event(SERVER_ERROR, id="ae-6", observer="gw"), "outcome") == ["12"]


def test_patient_scoped_request_is_found_by_patient() -> None:
    event = audit_event(SEARCH, id="ae-7", observer="gw")
    assert searched(event, "patient") == ["Patient/p1"]


def test_patient_read_is_one_patient_entity() -> None:
    event = audit_event(PATIENT_READ, id="ae-8", observer="gw")
    patients = [e for e in event["entity"] if e.get("role", {}).get("code") == "1"]
    assert [e["what"]["reference"] for e in patients] == ["Patient/p1"]
    assert searched(event, "patient") == ["Patient/p1"]
    assert searched(event, "entity") == ["Patient/p1", {"value": "req-1"}]


def test_patients_are_each_recorded_once_in_order() -> None:
    event = audit_event(record(patients=("p2", "p1", "p2")), id="x", observer="gw")
    assert searched(event, "patient") == ["Patient/p2", "Patient/p1"]


def test_a_patient_fhir_user_is_found_by_patient() -> None:
    event = audit_event(record(fhir_user="Patient/p9", patients=("p9",)), id="x", observer="gw")
    assert searched(event, "patient") == ["Patient/p9", "Patient/p9"]  # agent, then entity


@pytest.mark.parametrize("case", CASES)
def test_date_is_the_utc_instant(case: AuditRecord) -> None:
    assert searched(audit_event(case, id="x", observer="gw"), "date") == [
        "2026-12-05T13:00:01.234Z"
    ]


def test_recorded_in_another_zone_is_written_in_utc() -> None:
    local = WHEN.astimezone(timezone(timedelta(hours=-5)))
    assert audit_event(record(recorded=local), id="x", observer="gw")["recorded"] == (
        "2026-12-05T13:00:01.234Z"
    )


def test_machine_name_address_is_network_type_1() -> None:
    event = audit_event(record(source_address="proxy.internal"), id="x", observer="gw")
    assert event["agent"][0]["network"] == {"address": "proxy.internal", "type": "1"}
    ipv6 = audit_event(record(source_address="2001:db8::1"), id="x", observer="gw")
    assert ipv6["agent"][0]["network"]["type"] == "2"


def test_events_share_no_mutable_codes() -> None:
    first = audit_event(READ, id="a", observer="gw")
    first["type"]["code"] = "changed"
    first["entity"][0]["role"]["code"] = "changed"
    second = audit_event(READ, id="b", observer="gw")
    assert (second["type"]["code"], second["entity"][0]["role"]["code"]) == ("rest", "4")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"interaction": "fetch"}, "restful-interaction", id="unknown-interaction"),
        pytest.param({"recorded": WHEN.replace(tzinfo=None)}, "timezone", id="naive-time"),
        pytest.param({"status": 42}, "HTTP status", id="bad-status"),
        pytest.param({"resource_type": None}, "resource_type", id="id-without-type"),
    ],
)
def test_a_wrong_record_fails_where_it_is_built(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record(**changes)


def test_control_characters_a_client_sent_are_escaped() -> None:
    case = record(path="/fhir/Observation/o1\x00", request_id="r\x1b1", description="bad\x07")
    event = audit_event(case, id="x", observer="gw")
    assert event["outcomeDesc"] == "GET /fhir/Observation/o1\\x00 200: bad\\x07"
    assert event["entity"][-1]["what"]["identifier"]["value"] == "r\\x1b1"
    assert r4.validate(event) == []


def test_a_value_of_whitespace_alone_is_escaped_whole() -> None:
    """R4 refuses a string of whitespace alone; a request id of "\\n" must not lose the event."""
    event = audit_event(record(request_id="\n", description=" \t"), id="x", observer="gw")
    assert event["entity"][-1]["what"]["identifier"]["value"] == "\\x0a"
    assert r4.validate(event) == []


def test_record_has_no_place_for_a_body_or_a_token() -> None:
    names = {f.name for f in dataclasses.fields(AuditRecord)}
    assert not {n for n in names if any(w in n for w in ("body", "token", "authorization"))}


@pytest.mark.parametrize(
    ("method", "interaction", "action"),
    [
        pytest.param("GET", "read", "R", id="read"),
        pytest.param("GET", "vread", "R", id="vread"),
        pytest.param("GET", "history-instance", "R", id="history-instance"),
        pytest.param("GET", "search-type", "E", id="search-type"),
        pytest.param("POST", "search-type", "E", id="search-by-post"),
        pytest.param("GET", "history-system", "E", id="history-system"),
        pytest.param("POST", "create", "C", id="create"),
        pytest.param("PUT", "update", "U", id="update"),
        pytest.param("POST", "update", "U", id="update-in-a-bundle"),
        pytest.param("PATCH", "patch", "U", id="patch"),
        pytest.param("DELETE", "delete", "D", id="delete"),
        pytest.param("POST", "transaction", "E", id="transaction"),
        pytest.param("POST", "batch", "E", id="batch"),
        pytest.param("POST", "operation", "E", id="validate"),
        pytest.param("GET", "operation", "E", id="everything"),
        pytest.param("get", "capabilities", "R", id="metadata"),
        pytest.param("delete", "unknown", "D", id="unknown-by-method"),
        pytest.param("OPTIONS", "unknown", "E", id="unknown-method"),
    ],
)
def test_action_of(method: str, interaction: str, action: str) -> None:
    assert action_of(method, interaction) == action


def test_every_interaction_has_its_own_action() -> None:
    # The method never overrides a known interaction: a POSTed search is still E.
    assert {i: action_of("POST", i) for i in INTERACTIONS} == {
        i: action_of("GET", i) for i in INTERACTIONS
    }


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "0"),
        (201, "0"),
        (204, "0"),
        (304, "0"),
        (400, "4"),
        (401, "4"),
        (403, "8"),
        (404, "4"),
        (410, "4"),
        (412, "4"),
        (422, "4"),
        (500, "12"),
        (503, "12"),
    ],
)
def test_outcome_of(status: int, outcome: str) -> None:
    assert outcome_of(status) == outcome


@given(st.integers(min_value=100, max_value=599))
def test_outcome_is_success_exactly_below_400(status: int) -> None:
    assert (outcome_of(status) == "0") == (status < 400)
    assert (outcome_of(status) == "12") == (status >= 500)


_TEXT = st.text(min_size=1, max_size=20)  # what a client sends: any characters, controls too
_ID_PATTERN = r"[A-Za-z0-9\-.]{1,64}"  # R4 id: what a reference resolves to
_ID = st.from_regex(_ID_PATTERN, fullmatch=True)


@st.composite
def records(draw: st.DrawFn) -> AuditRecord:
    interaction = draw(st.sampled_from(sorted(INTERACTIONS)))
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    status = draw(st.integers(min_value=100, max_value=599))
    resource_type = draw(st.none() | st.sampled_from(["Patient", "Observation", "Encounter"]))
    return AuditRecord(
        interaction=interaction,
        action=action_of(method, interaction),
        outcome=outcome_of(status),
        recorded=draw(st.datetimes(timezones=st.just(UTC))),
        method=method,
        path=draw(_TEXT),
        query=draw(st.none() | st.text(min_size=1, max_size=40)),
        status=status,
        client_id=draw(st.none() | _TEXT),
        subject=draw(st.none() | _TEXT),
        fhir_user=draw(st.none() | _ID.map("Practitioner/{}".format)),
        source_address=draw(st.none() | st.ip_addresses().map(str) | _TEXT),
        resource_type=resource_type,
        resource_id=draw(st.none() | _ID | _TEXT) if resource_type else None,
        patients=tuple(draw(st.lists(_ID, max_size=3))),  # ids the gateway resolved
        request_id=draw(st.none() | _TEXT),
        description=draw(st.none() | st.text(min_size=1, max_size=40)),
    )


@settings(max_examples=60, deadline=None)
@given(records())
def test_any_record_is_a_valid_searchable_event(case: AuditRecord) -> None:
    event = audit_event(case, id="ae-1", observer="gw")
    assert r4.validate(event) == []
    assert searched(event, "outcome") == [case.outcome]
    assert len(searched(event, "date")) == 1
    patients = {f"Patient/{p}" for p in case.patients}
    if case.resource_type == "Patient" and re.fullmatch(_ID_PATTERN, case.resource_id or ""):
        patients.add(f"Patient/{case.resource_id}")
    assert set(searched(event, "patient")) >= patients
    queries = [e["query"] for e in event.get("entity", []) if "query" in e]
    assert [base64.b64decode(q).decode() for q in queries] == ([case.query] if case.query else [])
