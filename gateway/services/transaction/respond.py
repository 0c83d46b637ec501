"""The transaction-response or batch-response Bundle (https://hl7.org/fhir/R4/http.html#transaction-response).

One response entry per request entry, in request order: `response.status`, and for what was
written or read its location, etag and lastModified. The resource is returned when the client
prefers `return=representation`, and always for a read or search (what the entry asked for).
"""

from __future__ import annotations

from gateway.domain.time import format_instant
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.transaction.entries import Outcome


def response(kind: str, outcomes: list[Outcome], *, representation: bool, base: str) -> Json:
    """`kind`: `transaction-response` or `batch-response`; `base`: where fullUrls point."""
    return {
        "resourceType": "Bundle",
        "id": resources.new_id(),
        "type": kind,
        "entry": [_response_entry(o, representation, base) for o in outcomes],
    }


def _response_entry(outcome: Outcome, representation: bool, base: str) -> Json:
    response: Json = {"status": outcome.status}
    version = outcome.version
    if version is not None:
        response["location"] = f"{version.resource_type}/{version.id}/_history/{version.version_id}"
        response["etag"] = f'W/"{version.version_id}"'
        response["lastModified"] = format_instant(version.last_updated)
    response.update(outcome.extra)
    if outcome.outcome is not None:
        response["outcome"] = outcome.outcome
    entry: Json = {}
    body = outcome.resource or (version.resource if version is not None else None)
    if body is not None and (representation or outcome.resource is not None):
        entry["resource"] = body
    if version is not None and version.resource is not None:
        entry["fullUrl"] = f"{base}/{version.resource_type}/{version.id}"
    entry["response"] = response
    return entry
