"""The search keys of a stored AuditEvent, computed from its record's fields.

https://hl7.org/fhir/R4/auditevent.html#search. A type kept whole is indexed by evaluating each
of its R4 search parameters' FHIRPath over the resource (gateway.search.generic_index): for
AuditEvent, eighteen expressions over an event of sixty-odd elements, on every request the
gateway answers. The event is made from a handful of record fields (mappers/audit_event.py), so
its keys can be read off those fields directly: the same keys, in the same shapes, for a
fraction of the work. A test builds both for many records and requires them equal, so the two
cannot drift; the parameters no event of ours fills (agent-name, agent-role, policy, site,
source) get no keys from either.

The keys are built afresh for each document, constant codings included: the embedded store keeps
an inserted OwnedDocument as it is (gateway.store.embedded), so no two may share a container.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from gateway.jsonio import Json
from gateway.search.fhirpath_references import reference_type
from gateway.search.normalise import normalise
from gateway.search.parameters import parameters_of
from gateway.search.values import reference_type as stored_type
from gateway.search.values import references_of
from mappers.audit_codes import (
    ENTITY_PERSON,
    ENTITY_SYSTEM_OBJECT,
    EVENT_TYPE,
    INTERACTION_SYSTEM,
    REQUEST_ID_TYPE,
    ROLE_DOMAIN_RESOURCE,
    ROLE_PATIENT,
    ROLE_QUERY,
)
from mappers.audit_event import r4_text

__all__ = ["audit_keys"]

_MILLISECOND = timedelta(milliseconds=1)


def audit_keys(document: dict[str, Any]) -> Json:
    """`index`, `sort` and `exact` of an event, from its record's stored fields
    (mappers/audit_document.py)."""
    index: Json = {}
    sort: Json = {}
    exact: Json = {}
    start = _naive(document["recorded"])
    index["date"] = {"start": start, "end": start + _MILLISECOND}
    sort["date"] = start
    for code in ("action", "outcome"):
        value = document[code]
        index[code] = [{"code": value}]
        sort[code] = value
    interaction = document["interaction"]
    index["subtype"] = [{"system": INTERACTION_SYSTEM, "code": interaction}]
    sort["subtype"] = interaction
    index["type"] = [dict(EVENT_TYPE)]
    sort["type"] = EVENT_TYPE["code"]
    _agent(document, index, sort, exact)
    _entities(document, index, sort, exact)
    keys: Json = {"index": index, "sort": sort}
    if exact:
        keys["exact"] = exact
    return keys


def _naive(moment: datetime) -> datetime:
    """An instant as the date index holds it: UTC without a zone, to the millisecond."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _agent(document: dict[str, Any], index: Json, sort: Json, exact: Json) -> None:
    fhir_user = document.get("fhir_user")
    if fhir_user:
        agent, _ = _reference(fhir_user, "agent")
        if agent:
            index["agent"] = list(agent)
    subject = document.get("subject")
    if subject:
        altid = r4_text(subject)
        index["altid"] = [{"code": altid}]
        sort["altid"] = altid
    address = document.get("source_address")
    if address:
        _string("address", address, index, sort, exact)


def _string(code: str, value: str, index: Json, sort: Json, exact: Json) -> None:
    text, normalised = _texts(value)
    index[code], exact[code], sort[code] = [normalised], [text], normalised


@lru_cache(maxsize=1024)
def _texts(value: str) -> tuple[str, str]:
    """A string parameter's value as the event holds it, and normalised (search.html#string)."""
    text = r4_text(value)
    return text, normalise(text)


def _entities(document: dict[str, Any], index: Json, sort: Json, exact: Json) -> None:
    """In the order mappers/audit_event.py writes the entities: the resource, the query, each
    Patient, the request id."""
    roles: list[dict[str, str]] = []
    types: list[dict[str, str]] = []
    references: list[str] = []
    patient: list[str] = []  # agent.who and entity.what `where(resolve() is Patient)`
    fhir_user = document.get("fhir_user")
    if fhir_user:
        patient += _reference(fhir_user, "patient")[1]
    resource_type, resource_id = document.get("resource_type"), document.get("resource_id")
    patients: list[str] = list(dict.fromkeys(document.get("patients", ())))
    if resource_type == "Patient" and resource_id:
        patients = [resource_id, *(p for p in patients if p != resource_id)]
    elif resource_type:
        roles.append(dict(ROLE_DOMAIN_RESOURCE))
        types.append(dict(ENTITY_SYSTEM_OBJECT))
        if resource_id:
            entity, of_patient = _reference(f"{resource_type}/{resource_id}", "entity")
            references += entity
            patient += of_patient
        else:
            _string("entity-name", resource_type, index, sort, exact)
    if document.get("query"):
        roles.append(dict(ROLE_QUERY))
        types.append(dict(ENTITY_SYSTEM_OBJECT))
    for patient_id in patients:
        roles.append(dict(ROLE_PATIENT))
        types.append(dict(ENTITY_PERSON))
        entity, of_patient = _reference(f"Patient/{patient_id}", "entity")
        references += entity
        patient += of_patient
    if document.get("request_id"):
        types.append(dict(REQUEST_ID_TYPE))
    if references:
        index["entity"] = list(dict.fromkeys(references))
    if patient:
        index["patient"] = list(dict.fromkeys(patient))
    if roles:
        index["entity-role"], sort["entity-role"] = roles, roles[0]["code"]
    if types:
        index["entity-type"], sort["entity-type"] = types, types[0]["code"]


@lru_cache(maxsize=4096)
def _reference(value: str, code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The keys a Reference to `value` (as the event writes it) gives parameter `code` and
    `patient`, as the generic indexer computes them: the reference as stored (values.py), kept
    if it names no type or one the parameter may point at; for `patient`, only if FHIRPath's
    `resolve() is Patient` holds (fhirpath_references.py). The same few users, resources and
    patients come back request after request, hence the cache."""
    reference = {"reference": r4_text(value)}
    found = list(references_of(reference))
    is_patient = reference_type(reference, {}, "AuditEvent") == "Patient"
    return _targeted(code, found), _targeted("patient", found) if is_patient else ()


@cache
def _targets(code: str) -> frozenset[str]:
    """The resource types the R4 parameter `code` may point at (gateway.search.parameters)."""
    return frozenset(parameters_of("AuditEvent")[code].targets)


def _targeted(code: str, references: Iterable[str]) -> tuple[str, ...]:
    """As the generic indexer keeps them: those naming no type, or one `code` may point at."""
    targets = _targets(code)
    return tuple(r for r in references if (t := stored_type(r)) is None or t in targets)
