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
from functools import cache
from typing import Any

from gateway.jsonio import Json
from gateway.search.fhirpath_references import reference_type
from gateway.search.normalise import normalise
from gateway.search.parameters import derived
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
    """`index`, `sort` and `exact` of a stored event (mappers/audit_document.py's fields)."""
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
        agent = _targeted("agent", references_of({"reference": r4_text(fhir_user)}))
        if agent:
            index["agent"] = agent
    subject = document.get("subject")
    if subject:
        altid = r4_text(subject)
        index["altid"] = [{"code": altid}]
        sort["altid"] = altid
    address = document.get("source_address")
    if address:
        _string("address", r4_text(address), index, sort, exact)


def _string(code: str, text: str, index: Json, sort: Json, exact: Json) -> None:
    normalised = normalise(text)
    index[code], exact[code], sort[code] = [normalised], [text], normalised


def _entities(document: dict[str, Any], index: Json, sort: Json, exact: Json) -> None:
    """In the order mappers/audit_event.py writes the entities: the resource, the query, each
    Patient, the request id."""
    roles: list[dict[str, str]] = []
    types: list[dict[str, str]] = []
    references: list[str] = []
    # `patient`: agent.who and entity.what `where(resolve() is Patient)`, resolved as the
    # generic indexer's FHIRPath resolves a reference (from its text alone)
    patient: list[str] = []
    fhir_user = document.get("fhir_user")
    if fhir_user:
        _add(r4_text(fhir_user), [], patient)
    resource_type, resource_id = document.get("resource_type"), document.get("resource_id")
    patients: list[str] = list(dict.fromkeys(document.get("patients", ())))
    if resource_type == "Patient" and resource_id:
        patients = [resource_id, *(p for p in patients if p != resource_id)]
    elif resource_type:
        roles.append(dict(ROLE_DOMAIN_RESOURCE))
        types.append(dict(ENTITY_SYSTEM_OBJECT))
        if resource_id:
            _add(r4_text(f"{resource_type}/{resource_id}"), references, patient)
        else:
            _string("entity-name", r4_text(resource_type), index, sort, exact)
    if document.get("query"):
        roles.append(dict(ROLE_QUERY))
        types.append(dict(ENTITY_SYSTEM_OBJECT))
    for patient_id in patients:
        roles.append(dict(ROLE_PATIENT))
        types.append(dict(ENTITY_PERSON))
        _add(r4_text(f"Patient/{patient_id}"), references, patient)
    if document.get("request_id"):
        types.append(dict(REQUEST_ID_TYPE))
    references = _targeted("entity", references)
    if references:
        index["entity"] = list(dict.fromkeys(references))
    patient = _targeted("patient", patient)
    if patient:
        index["patient"] = list(dict.fromkeys(patient))
    if roles:
        index["entity-role"], sort["entity-role"] = roles, roles[0]["code"]
    if types:
        index["entity-type"], sort["entity-type"] = types, types[0]["code"]


def _add(text: str, references: list[str], patient: list[str]) -> None:
    """The reference `text` as `entity` holds it, and as `patient` does if it names a Patient."""
    reference = {"reference": text}
    found = list(references_of(reference))
    references += found
    if reference_type(reference, {}, "AuditEvent") == "Patient":
        patient += found


@cache
def _targets(code: str) -> frozenset[str]:
    """The resource types the R4 parameter `code` may point at (gateway.search.parameters)."""
    [parameter] = [c.parameter for c in derived("AuditEvent").compiled if c.parameter.code == code]
    return frozenset(parameter.targets)


def _targeted(code: str, references: Iterable[str]) -> list[str]:
    """As the generic indexer keeps them: those naming no type, or one `code` may point at."""
    targets = _targets(code)
    return [r for r in references if (t := stored_type(r)) is None or t in targets]
