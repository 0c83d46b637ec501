"""What the gateway records of one request, allowed or denied, as an R4 AuditEvent.

https://hl7.org/fhir/R4/auditevent.html, following the IHE Basic Audit Log Patterns (BALP) for
RESTful interactions. An `AuditRecord` holds only what the HTTP edge knows about the request
and its answer: never a body, never a token, so an event can be logged whole when it cannot be
stored. The event is searchable by R4's AuditEvent parameters: `date` (recorded), `agent`
(agent.who: the fhirUser), `entity` (entity.what), `patient` (every Patient the request
concerned is an entity with role 1) and `outcome`.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.jsonio import Json
from mappers.audit_codes import (
    AGENT_TYPE,
    ENTITY_PERSON,
    ENTITY_SYSTEM_OBJECT,
    EVENT_TYPE,
    INTERACTION_SYSTEM,
    INTERACTIONS,
    NETWORK_IP,
    NETWORK_MACHINE,
    REQUEST_ID_TYPE,
    ROLE_DOMAIN_RESOURCE,
    ROLE_PATIENT,
    ROLE_QUERY,
    SOURCE_TYPE,
    Action,
    Outcome,
    action_of,
    outcome_of,
)

__all__ = ["AuditRecord", "action_of", "audit_event", "outcome_of", "r4_text"]

# R4 `string`: no characters below U+0020 but tab, CR and LF (datatypes.html#string).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What the HTTP edge knows about one request. NO body, NO token, ever.

    `patients` are the ids of the Patients the request concerned (the compartment searched,
    the token's `patient` claim, the resource's subject); `description` says why, for a denial
    ("no token", "no scope for Observation.r").
    """

    interaction: str  # restful-interaction code
    action: Action
    outcome: Outcome
    recorded: datetime  # timezone-aware
    method: str
    path: str
    query: str | None
    status: int
    client_id: str | None
    subject: str | None
    fhir_user: str | None
    source_address: str | None
    resource_type: str | None
    resource_id: str | None
    patients: tuple[str, ...] = ()
    request_id: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        # A wrong record is a wiring bug: fail where it is built, not in the audit store.
        if self.interaction not in INTERACTIONS:
            raise ValueError(f"{self.interaction!r} is not a restful-interaction code")
        if self.recorded.utcoffset() is None:
            raise ValueError("recorded must be timezone-aware (an R4 instant has a zone)")
        if not 100 <= self.status <= 599:
            raise ValueError(f"{self.status} is not an HTTP status")
        if self.resource_id is not None and self.resource_type is None:
            raise ValueError("resource_id needs its resource_type")


def audit_event(record: AuditRecord, *, id: str, observer: str) -> Json:
    """The R4 AuditEvent of `record`, with logical id `id`, recorded by the gateway `observer`
    (its name, as `source.observer.display`)."""
    event: Json = {
        "resourceType": "AuditEvent",
        "id": id,
        "type": dict(EVENT_TYPE),
        "subtype": [{"system": INTERACTION_SYSTEM, "code": record.interaction}],
        "action": record.action,
        "recorded": _instant(record.recorded),
        "outcome": record.outcome,
        "outcomeDesc": _outcome_description(record),
        "agent": [_agent(record)],
        "source": {"observer": {"display": r4_text(observer)}, "type": [dict(SOURCE_TYPE)]},
    }
    entities = _entities(record)
    if entities:
        event["entity"] = entities
    return event


def _instant(moment: datetime) -> str:
    """R4 `instant`: to the millisecond, in UTC (sortable as text, which `date` search uses)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _outcome_description(record: AuditRecord) -> str:
    line = f"{record.method.upper()} {record.path} {record.status}"
    return r4_text(f"{line}: {record.description}" if record.description else line)


def r4_text(value: str) -> str:
    """`value` as a valid R4 string: what a client sent (a path, a header) may hold control
    characters, and an event that cannot be stored would be an audit skipped by a failure. They
    are escaped (`\\x1f`), so the event still says what was sent. A value of whitespace alone
    (R4 refuses it) has every character escaped."""
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if escaped.strip():
        return escaped
    return "".join(f"\\x{ord(c):02x}" for c in value)


def _agent(record: AuditRecord) -> Json:
    """The client, requestor of the interaction: `who.identifier` its client id,
    `who.reference` the fhirUser (a Practitioner, Patient ... URL), `altId` the token subject."""
    agent: Json = {"type": {"coding": [dict(AGENT_TYPE)]}, "requestor": True}
    who: Json = {}
    if record.fhir_user:
        who |= {"reference": r4_text(record.fhir_user), "display": r4_text(record.fhir_user)}
    if record.client_id:
        who["identifier"] = {"value": r4_text(record.client_id)}
    if who:
        agent["who"] = who
    if record.subject:
        agent["altId"] = r4_text(record.subject)
    if record.source_address:
        agent["network"] = {
            "address": r4_text(record.source_address),
            "type": _network_type(record.source_address),
        }
    return agent


def _network_type(address: str) -> str:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return NETWORK_MACHINE
    return NETWORK_IP


def _entities(record: AuditRecord) -> list[Json]:
    """What the request was about: the resource, the query, each Patient, the request id."""
    entities: list[Json] = []
    patients = list(dict.fromkeys(record.patients))  # in order, once each
    if record.resource_type == "Patient" and record.resource_id:
        # The Patient itself: one entity with the patient role, found by `patient` and `entity`.
        patients = [record.resource_id, *(p for p in patients if p != record.resource_id)]
    elif record.resource_type:
        entities.append(_resource_entity(record.resource_type, record.resource_id))
    if record.query:
        entities.append(
            {
                "type": dict(ENTITY_SYSTEM_OBJECT),
                "role": dict(ROLE_QUERY),
                "description": r4_text(f"{record.method.upper()} {record.path}"),
                # R4 entity.query is base64Binary: the query string as the client sent it.
                "query": base64.b64encode(record.query.encode()).decode("ascii"),
            }
        )
    entities += [
        {
            "what": {"reference": r4_text(f"Patient/{p}")},
            "type": dict(ENTITY_PERSON),
            "role": dict(ROLE_PATIENT),
        }
        for p in patients
    ]
    if record.request_id:
        entities.append(
            {
                "what": {"identifier": {"value": r4_text(record.request_id)}},
                "type": dict(REQUEST_ID_TYPE),
            }
        )
    return entities


def _resource_entity(resource_type: str, resource_id: str | None) -> Json:
    entity: Json = {"type": dict(ENTITY_SYSTEM_OBJECT), "role": dict(ROLE_DOMAIN_RESOURCE)}
    if resource_id:
        entity["what"] = {"reference": r4_text(f"{resource_type}/{resource_id}")}
    else:  # a type-level interaction (a refused create, a search): the type is what it touched
        entity["name"] = r4_text(resource_type)
    return entity
