"""Which FHIR interaction a request is, from its method and path alone: what its audit records.

https://hl7.org/fhir/R4/http.html names the interactions; the codes are R4's
`restful-interaction` (mappers.audit_codes). The audit must not read a body and runs for
every request, 401s and 404s included, before or without routing, so this is a pure function of
the method and the path, mirroring the route table (gateway.http.routes.table; a test walks
every path of it): fixed names (`metadata`, `_history`, `_search`, `$operations`) before the
`{type}/{id}` shapes, as there.

Only the FHIR base and `/apps` are audited: `/health`, `/metrics` (scraped every few seconds,
gateway.http.routes.metrics) and the documentation pages (`_docs`, the OpenAPI document) carry
no record of anyone and answer `None`, and so does `OPTIONS`: a
browser's CORS preflight, answered before any route (or a 405), which touches no record and
carries no token.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from mappers.audit_codes import Action, action_of

APPS = "/apps"
HEALTH = "/health"
METRICS = "/metrics"
_UNAUDITED = frozenset({"_docs", "_openapi.json"})


@dataclass(frozen=True, slots=True)
class Classified:
    """What a request touched, as an audit records it."""

    interaction: str  # restful-interaction code
    action: Action
    resource_type: str | None = None
    resource_id: str | None = None
    patient: str | None = None  # the Patient whose compartment or record the path names


@lru_cache(maxsize=4096)  # every request asks; a client reads the same paths again and again
def classify(method: str, path: str, *, base: str) -> Classified | None:
    """The interaction of `method path` under the FHIR base path `base` ("" for the root), or
    None when the path is not audited."""
    if method == "OPTIONS":
        return None
    method = "GET" if method == "HEAD" else method
    if path == APPS or path.startswith(APPS + "/"):
        return _apps(method)
    if path in (HEALTH, METRICS) or path.startswith(HEALTH + "/"):
        return None  # the probes and metrics, served before the base even when it is the root
    if base and path != base and not path.startswith(base + "/"):
        return None
    parts = [p for p in path[len(base) :].split("/") if p]
    if parts and parts[0] in _UNAUDITED:
        return None
    return _fhir(method, parts)


def _apps(method: str) -> Classified:
    # The apps' own JSON (gateway.http.routes.apps): reading a patient's rows back is a read,
    # sending rows writes resources (created or updated: C, as a transaction of them).
    return Classified("operation", "C" if method == "POST" else "R")


def _fhir(method: str, parts: list[str]) -> Classified:
    operation = next((i for i, p in enumerate(parts) if p.startswith("$")), None)
    if operation is not None:
        return _operation(parts[:operation])
    match parts:
        case []:
            return _of("transaction" if method == "POST" else "search-system", method)
        case ["metadata"]:
            return _of("capabilities", method)
        case ["_search"]:
            return _of("search-system", method)
        case ["_history"]:
            return _of("history-system", method)
        case [".well-known", *_] | ["auth", *_]:
            return _of("operation", method)  # SMART discovery, the token endpoint and its keys
        case [resource_type]:
            return _type_level(method, resource_type)
        case [resource_type, "_search"]:
            return _of("search-type", method, resource_type)
        case [resource_type, "_history"]:
            return _of("history-type", method, resource_type)
        case [resource_type, resource_id]:
            return _instance(method, resource_type, resource_id)
        case [resource_type, resource_id, "_history"]:
            return _of("history-instance", method, resource_type, resource_id)
        case [resource_type, resource_id, "_history", _]:
            return _of("vread", method, resource_type, resource_id)
        case [compartment, compartment_id, resource_type, *_]:
            patient = compartment_id if compartment == "Patient" else None
            return Classified("search-type", "E", resource_type, None, patient)
    return _of("operation", method)


def _operation(before: list[str]) -> Classified:
    """`$op` at system (`$export`, its poll and files), type or instance level."""
    match before:
        case [resource_type]:
            return Classified("operation", "E", resource_type)
        case [resource_type, resource_id]:
            patient = resource_id if resource_type == "Patient" else None
            return Classified("operation", "E", resource_type, resource_id, patient)
    return Classified("operation", "E")


def _type_level(method: str, resource_type: str) -> Classified:
    interaction = {"POST": "create", "PUT": "update", "DELETE": "delete"}.get(method, "search-type")
    return _of(interaction, method, resource_type)


def _instance(method: str, resource_type: str, resource_id: str) -> Classified:
    interaction = {"PUT": "update", "DELETE": "delete", "PATCH": "patch"}.get(method, "read")
    return _of(interaction, method, resource_type, resource_id)


def _of(
    interaction: str, method: str, resource_type: str | None = None, resource_id: str | None = None
) -> Classified:
    patient = resource_id if resource_type == "Patient" else None
    return Classified(
        interaction, action_of(method, interaction), resource_type, resource_id, patient
    )
