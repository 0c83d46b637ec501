"""The code systems an audit record is coded in, and how a request maps onto them.

https://hl7.org/fhir/R4/auditevent.html, coded as IHE Basic Audit Log Patterns (BALP) code a
RESTful interaction: type `rest`, subtype the `restful-interaction` code, action from the
interaction (https://hl7.org/fhir/R4/valueset-audit-event-action.html), outcome from the status.
"""

from __future__ import annotations

from typing import Literal

Action = Literal["C", "R", "U", "D", "E"]
Outcome = Literal["0", "4", "8", "12"]

EVENT_TYPE = {
    "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
    "code": "rest",
    "display": "Restful Operation",
}
INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction"
# https://hl7.org/fhir/R4/codesystem-restful-interaction.html: every code of the R4 system.
INTERACTIONS = frozenset(
    {
        "read",
        "vread",
        "update",
        "patch",
        "delete",
        "history",
        "history-instance",
        "history-type",
        "history-system",
        "create",
        "search",
        "search-type",
        "search-system",
        "capabilities",
        "transaction",
        "batch",
        "operation",
    }
)
# R4 audit-event-action: E is "perform a query/search operation" as well as running a function,
# so searches, type- and system-level history (queries over many resources), operations and
# Bundles are E; reading one resource (or one resource's versions) is R.
_ACTIONS: dict[str, Action] = {
    "read": "R",
    "vread": "R",
    "history-instance": "R",
    "capabilities": "R",
    "create": "C",
    "update": "U",
    "patch": "U",
    "delete": "D",
    "search": "E",
    "search-type": "E",
    "search-system": "E",
    "history": "E",
    "history-type": "E",
    "history-system": "E",
    "transaction": "E",
    "batch": "E",
    "operation": "E",
}
_METHOD_ACTIONS: dict[str, Action] = {
    "GET": "R",
    "HEAD": "R",
    "POST": "C",
    "PUT": "U",
    "PATCH": "U",
    "DELETE": "D",
}

AGENT_TYPE = {  # DICOM / BALP: the client is the Source Role ID (the query flows from it)
    "system": "http://dicom.nema.org/resources/ontology/DCM",
    "code": "110153",
    "display": "Source Role ID",
}
NETWORK_MACHINE, NETWORK_IP = "1", "2"  # R4 network-type: machine name, IP address
SOURCE_TYPE = {
    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
    "code": "4",
    "display": "Application Server",
}
_ENTITY_TYPES = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
ENTITY_PERSON = {"system": _ENTITY_TYPES, "code": "1", "display": "Person"}
ENTITY_SYSTEM_OBJECT = {"system": _ENTITY_TYPES, "code": "2", "display": "System Object"}
_ROLES = "http://terminology.hl7.org/CodeSystem/object-role"
ROLE_PATIENT = {"system": _ROLES, "code": "1", "display": "Patient"}
ROLE_DOMAIN_RESOURCE = {"system": _ROLES, "code": "4", "display": "Domain Resource"}
ROLE_QUERY = {"system": _ROLES, "code": "24", "display": "Query"}
REQUEST_ID_TYPE = {  # BALP: the X-Request-Id in entity.what.identifier
    "system": "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType",
    "code": "XrequestId",
}


def action_of(method: str, interaction: str) -> Action:
    """The R4 audit action of `interaction`; the HTTP method decides only for a code this
    table does not know, so a conditional update sent as PUT stays U and `$validate` sent as
    POST stays E."""
    return _ACTIONS.get(interaction) or _METHOD_ACTIONS.get(method.upper(), "E")


def outcome_of(status: int) -> Outcome:
    """The R4 audit outcome of an HTTP status.

    Success below 400. A refused token (401) is a minor failure (4), like any client error;
    a valid token asking for what it may not have (403) is a serious failure (8), so
    `outcome=8` finds every attempt beyond a grant. A server error is a major failure (12).
    """
    if status < 400:
        return "0"
    if status == 403:
        return "8"
    return "4" if status < 500 else "12"
