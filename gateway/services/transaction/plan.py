"""Planning a transaction: every target and reference decided before any write
(https://hl7.org/fhir/R4/http.html#trules).

Deletions are resolved first, so a conditional create whose only match the Bundle deletes
creates anew; two conditional creates with the same criteria name one resource; a resource
written by two entries fails the transaction, as the spec requires. Then each fullUrl the
Bundle names (`urn:uuid:`, `urn:oid:` or absolute) is replaced by the `Type/id` its entry
writes, in references and in uri and narrative mentions, and conditional references are
resolved against the store.
"""

from __future__ import annotations

from gateway.auth.scopes import Interaction
from gateway.errors import Forbidden, GatewayError, InvalidRequest, Issue
from gateway.jsonio import Json
from gateway.search.reference import local_form
from gateway.services import conditional, resources
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.transaction.entries import Entry, EntryFailed
from mappers.references import is_conditional, references, replace_mentions, rewrite

# What an entry with criteria does to what they match (a conditional create, update, delete).
_INTERACTIONS: dict[str, Interaction] = {"POST": "c", "PUT": "u", "DELETE": "d"}


async def plan(services: Services, entries: list[Entry], base_urls: tuple[str, ...]) -> None:
    """Give each entry its target and its resource its final references, in place.

    Every write entry's scope on its type comes first (403 for the whole Bundle), before any
    criteria or conditional reference is looked up: a 400 or 412 from a lookup would tell a
    token that may not write there what the store holds."""
    _check_scopes(entries)
    ids = await targets(services, entries, base_urls)
    for entry in entries:
        if entry.resource is not None:
            try:
                await resolve_references(services, entry.resource, ids, base_urls)
            except GatewayError as error:
                raise EntryFailed(entry.index, error) from error


def _check_scopes(entries: list[Entry]) -> None:
    access = current()
    if access.unrestricted:
        return
    for entry in entries:
        interaction = _INTERACTIONS.get(entry.method)
        if interaction is None:
            continue  # reads and searches are checked by the services they call
        try:
            access.restriction(interaction, entry.resource_type)
        except Forbidden as error:
            raise EntryFailed(entry.index, error) from error


async def targets(
    services: Services, entries: list[Entry], base_urls: tuple[str, ...]
) -> dict[str, str]:
    """Each entry's `target_id`; answers fullUrl -> `Type/id` of what its entry writes."""
    deleted: set[str] = set()
    for entry in entries:
        if entry.method == "DELETE":
            entry.target_id = entry.resource_id or await _single_match(services, entry, base_urls)
            if entry.target_id:
                deleted.add(f"{entry.resource_type}/{entry.target_id}")
    ids: dict[str, str] = {}
    chosen: dict[str, str] = {}  # criteria -> target, for repeated conditional creates
    written: set[str] = set()
    for entry in entries:
        if entry.method not in ("POST", "PUT"):
            continue
        entry.target_id = await _target(services, entry, base_urls, deleted, chosen)
        identity = f"{entry.resource_type}/{entry.target_id}"
        repeated = entry.if_none_exist and chosen.get(
            f"{entry.resource_type}?{entry.if_none_exist}"
        )
        if (identity in written and not repeated) or (
            identity in deleted and not entry.if_none_exist
        ):
            raise EntryFailed(entry.index, InvalidRequest(
                f"`{identity}` is written by more than one entry of this transaction.",
                expression="request.url",
            ))  # fmt: skip
        written.add(identity)
        if entry.full_url:
            ids[entry.full_url] = identity
    return ids


async def _target(
    services: Services,
    entry: Entry,
    base_urls: tuple[str, ...],
    deleted: set[str],
    chosen: dict[str, str],
) -> str:
    """The id a POST or PUT entry will write."""
    if entry.method == "PUT" and not entry.criteria:
        if not entry.resource_id:
            raise EntryFailed(entry.index, InvalidRequest(
                "PUT needs `Type/id` or `Type?criteria` as its url.", expression="request.url"
            ))  # fmt: skip
        return entry.resource_id
    criteria = entry.if_none_exist if entry.method == "POST" else entry.criteria
    if not criteria:
        return resources.new_id()
    key = f"{entry.resource_type}?{criteria}"
    if key in chosen:
        return chosen[key]
    found = [
        i for i in await _matches(services, entry, criteria, base_urls)
        if f"{entry.resource_type}/{i}" not in deleted
    ]  # fmt: skip
    if len(found) > 1:
        raise EntryFailed(entry.index, conditional.too_many(entry.resource_type, criteria))
    body_id = (entry.resource or {}).get("id") if entry.method == "PUT" else None
    entry.known = found if entry.method == "POST" else None
    chosen[key] = found[0] if found else (body_id or resources.new_id())
    return chosen[key]


async def _matches(
    services: Services, entry: Entry, criteria: str, base_urls: tuple[str, ...]
) -> list[str]:
    """Matches of an entry's criteria; a bad criterion names the request element it is in.
    A token that may not do the entry's interaction on the type at all gets its 403 first: a
    412 for several matches would tell it what the store holds."""
    element = "request.ifNoneExist" if entry.method == "POST" else "request.url"
    access = current()
    if not access.unrestricted:
        try:
            access.restriction(_INTERACTIONS[entry.method], entry.resource_type)
        except Forbidden as error:
            raise EntryFailed(entry.index, error) from error
    try:
        return await conditional.matching_ids(
            services, entry.resource_type, criteria, base_urls=base_urls
        )
    except GatewayError as error:
        raise EntryFailed(entry.index, _located(error, element)) from error


async def _single_match(services: Services, entry: Entry, base_urls: tuple[str, ...]) -> str | None:
    """The one resource a conditional DELETE names, None for none; several fail it (412)."""
    found = await _matches(services, entry, entry.criteria or "", base_urls)
    if len(found) > 1:
        raise EntryFailed(
            entry.index, conditional.too_many(entry.resource_type, entry.criteria or "")
        )
    return found[0] if found else None


def _located(error: GatewayError, element: str) -> GatewayError:
    located = InvalidRequest(error.diagnostics, issues=[
        Issue(i.diagnostics, code=i.code, severity=i.severity, expression=element,
              details_code=i.details_code)
        for i in error.issues
    ])  # fmt: skip
    located.status = error.status  # type: ignore[misc]
    return located


async def resolve_references(
    services: Services, resource: Json, ids: dict[str, str], base_urls: tuple[str, ...]
) -> None:
    """Every reference to a fullUrl of `ids` becomes `Type/id`, and so does any uri or
    narrative link naming one; conditional references are resolved and remembered in `ids`,
    so a Bundle naming one practitioner a hundred times searches once."""
    found, mentions = references(resource, ids)
    for holder in rewrite(found, ids):
        reference = holder["reference"]
        if is_conditional(reference):
            if reference not in ids:  # named twice in this resource: searched once
                ids[reference] = await conditional.resolve_reference(
                    services, local_form(reference, base_urls), base_urls=base_urls
                )
            holder["reference"] = ids[reference]
    if mentions:
        replace_mentions(resource, ids)
