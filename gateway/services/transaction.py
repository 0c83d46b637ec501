"""Transaction and batch Bundles at `POST [base]` (https://hl7.org/fhir/R4/http.html#transaction).

A transaction is all or nothing: entries are processed DELETE, POST, PUT, GET (http.html#trules),
`urn:uuid:`/`urn:oid:` fullUrls become the ids the gateway assigns and every reference to them is
rewritten, conditional references (`Patient?identifier=…`) are resolved, and any failure undoes
every write (gateway.services.unit). A batch runs each entry on its own and reports each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import fhir_profiles
from gateway.domain.time import format_instant
from gateway.errors import (
    GatewayError,
    InvalidRequest,
    Issue,
    MethodNotAllowed,
    PayloadTooLarge,
    VersionConflict,
)
from gateway.search.request import parse
from gateway.services import conditional, resources
from gateway.services.context import Services
from gateway.services.searchset import searchset
from gateway.services.store import Version
from gateway.services.unit import Unit, atomic
from mappers.base import FhirJson
from mappers.outcome import operation_outcome

ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
LOCAL_PREFIXES = ("urn:uuid:", "urn:oid:")
_URI_TYPES = {"uri", "url", "oid", "uuid", "canonical"}


@dataclass(slots=True)
class Entry:
    """One request of the Bundle, parsed."""

    index: int
    method: str
    resource_type: str
    resource_id: str | None = None
    version_id: str | None = None
    criteria: str | None = None
    resource: FhirJson | None = None
    full_url: str | None = None
    if_none_exist: str | None = None
    if_match: int | None = None
    target_id: str | None = None  # the id a POST will create, chosen before any write
    known: list[str] | None = None  # matches of its ifNoneExist when the Bundle was planned
    url: str = ""


@dataclass(slots=True)
class Outcome:
    status: str
    version: Version | None = None
    resource: FhirJson | None = None
    outcome: FhirJson | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class EntryFailed(GatewayError):
    """An entry of a transaction failed; the whole Bundle is rejected with its status."""

    def __init__(self, index: int, error: GatewayError) -> None:
        issues = [
            Issue(
                f"Bundle.entry[{index}]: {issue.diagnostics}",
                code=issue.code,
                severity=issue.severity,
                expression=_entry_path(index, issue.expression),
                details_code=issue.details_code,
            )
            for issue in error.issues
        ]
        super().__init__(issues[0].diagnostics, issues=issues)
        self.status = error.status  # type: ignore[misc]  # the failing entry's own status


def _entry_path(index: int, expression: str | None) -> str:
    """An issue's element path, as a path within the Bundle."""
    entry = f"Bundle.entry[{index}]"
    if not expression:
        return entry
    if expression.startswith(("request.", "resource.", "Bundle.")):
        return expression if expression.startswith("Bundle.") else f"{entry}.{expression}"
    head, _, rest = expression.partition(".")
    if head[:1].isupper():  # `Observation.status` -> `Bundle.entry[3].resource.status`
        return f"{entry}.resource" + (f".{rest}" if rest else "")
    if expression == "resourceType":
        return f"{entry}.resource.resourceType"
    return f"{entry}.request.url"


def parse_bundle(
    bundle: FhirJson, *, max_entries: int, base_urls: tuple[str, ...]
) -> tuple[str, list[Entry]]:
    """The Bundle's type and its entries; an unprocessable Bundle is a client error."""
    kind = bundle.get("type")
    if bundle.get("resourceType") != "Bundle":
        raise InvalidRequest("POST to the base takes a Bundle.", expression="resourceType")
    if kind not in ("transaction", "batch"):
        raise InvalidRequest(
            f"Bundle type `{kind}` is not processed at the base; send a transaction or a batch "
            "(a collection or document is stored with POST /Bundle).",
            expression="Bundle.type",
        )
    raw = bundle.get("entry", [])
    if not isinstance(raw, list):
        raise InvalidRequest("Bundle.entry must be an array.", expression="Bundle.entry")
    if len(raw) > max_entries:
        raise PayloadTooLarge(f"The Bundle has {len(raw)} entries; the limit is {max_entries}.")
    return kind, [_entry(i, e, base_urls) for i, e in enumerate(raw)]


def _entry(index: int, raw: Any, base_urls: tuple[str, ...]) -> Entry:
    where = f"Bundle.entry[{index}]"
    request = raw.get("request") if isinstance(raw, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise InvalidRequest(f"{where} needs request.method and request.url.", expression=where)
    method = request.get("method")
    if method not in ORDER:
        raise InvalidRequest(f"{where}.request.method `{method}` is not an HTTP verb of FHIR.",
                             expression=f"{where}.request.method")  # fmt: skip
    resource = raw.get("resource")
    if method in ("POST", "PUT") and not isinstance(resource, dict):
        raise InvalidRequest(
            f"{where} ({method}) needs a resource.", expression=f"{where}.resource"
        )
    url = _local(request["url"], base_urls)
    path, _, criteria = url.partition("?")
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise InvalidRequest(f"{where}.request.url `{url}` names no resource type.",
                             expression=f"{where}.request.url")  # fmt: skip
    entry = Entry(index, method, parts[0], url=url, resource=resource,
                  full_url=raw.get("fullUrl"), criteria=criteria or None,
                  if_none_exist=request.get("ifNoneExist"))  # fmt: skip
    if len(parts) > 1:
        entry.resource_id = parts[1]
    if len(parts) > 3 and parts[2] == "_history":
        entry.version_id = parts[3]
    if request.get("ifMatch"):
        tag = str(request["ifMatch"]).removeprefix("W/").strip('"')
        entry.if_match = int(tag) if tag.isdigit() else -1
    return entry


def _local(url: str, base_urls: tuple[str, ...]) -> str:
    for base in base_urls:
        prefix = base.rstrip("/") + "/"
        if url.startswith(prefix):
            return url[len(prefix) :]
    return url


async def process(
    services: Services, bundle: FhirJson, *, base_urls: tuple[str, ...], representation: bool
) -> FhirJson:
    settings = services.settings
    kind, entries = parse_bundle(
        bundle, max_entries=settings.max_bundle_entries, base_urls=base_urls
    )
    if kind == "batch":
        outcomes = [await _batch_entry(services, entry, base_urls) for entry in entries]
    else:
        outcomes = await _transaction(services, entries, base_urls)
    base = base_urls[0] if base_urls else ""
    return _response(f"{kind}-response", outcomes, representation, base)


async def _transaction(
    services: Services, entries: list[Entry], base_urls: tuple[str, ...]
) -> list[Outcome]:
    ids = await _plan(services, entries, base_urls)
    for entry in entries:
        if entry.resource is not None:
            try:
                await _rewrite_references(services, entry.resource, ids, base_urls)
            except GatewayError as error:
                raise EntryFailed(entry.index, error) from error
    outcomes: dict[int, Outcome] = {}
    async with atomic(services.client, embedded=services.settings.embedded) as unit:
        for entry in sorted(entries, key=lambda e: (ORDER[e.method], e.index)):
            try:
                outcomes[entry.index] = await _execute(services, entry, base_urls, unit)
            except GatewayError as error:
                raise EntryFailed(entry.index, error) from error
    return [outcomes[entry.index] for entry in entries]


async def _plan(
    services: Services, entries: list[Entry], base_urls: tuple[str, ...]
) -> dict[str, str]:
    """Decide every entry's target before any write; fullUrl -> `Type/id` (http.html#trules).

    Deletions are resolved first, so a conditional create whose only match this Bundle deletes
    creates anew; two creates with the same criteria name the same resource; a resource written
    by two entries makes the transaction fail, as the spec requires.
    """
    deleted: set[str] = set()
    for entry in entries:
        if entry.method == "DELETE":
            entry.target_id = entry.resource_id or await _single_match(
                services, entry, base_urls, "url"
            )
            if entry.target_id:
                deleted.add(f"{entry.resource_type}/{entry.target_id}")
    ids: dict[str, str] = {}
    chosen: dict[str, str] = {}  # criteria -> target, for repeated conditional creates
    written: dict[str, int] = {}
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
        written[identity] = entry.index
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
    """Matches of an entry's criteria; a bad criterion names the request element it is in."""
    field = "request.ifNoneExist" if entry.method == "POST" else "request.url"
    try:
        return await conditional.matching_ids(
            services, entry.resource_type, criteria, base_urls=base_urls
        )
    except GatewayError as error:
        raise EntryFailed(entry.index, _located(error, field)) from error


async def _single_match(
    services: Services, entry: Entry, base_urls: tuple[str, ...], _field: str
) -> str | None:
    found = await _matches(services, entry, entry.criteria or "", base_urls)
    if len(found) > 1:
        raise EntryFailed(
            entry.index, conditional.too_many(entry.resource_type, entry.criteria or "")
        )
    return found[0] if found else None


def _located(error: GatewayError, field: str) -> GatewayError:
    located = InvalidRequest(error.diagnostics, issues=[
        Issue(i.diagnostics, code=i.code, severity=i.severity, expression=field,
              details_code=i.details_code)
        for i in error.issues
    ])  # fmt: skip
    located.status = error.status  # type: ignore[misc]
    return located


async def _rewrite_references(
    services: Services, resource: FhirJson, ids: dict[str, str], base_urls: tuple[str, ...]
) -> None:
    """Every reference to a fullUrl of the Bundle becomes `Type/id`, and so does any uri or
    narrative link naming one; conditional references are resolved (http.html#trules) and
    remembered in `ids`, so a Bundle naming one practitioner a hundred times searches once."""
    holders, mentions = _references(resource, ids)
    for holder in holders:
        reference = holder["reference"]
        if reference in ids:
            holder["reference"] = ids[reference]
        elif "?" in reference and not reference.startswith(("#", *LOCAL_PREFIXES)):
            resolved = await conditional.resolve_reference(
                services, _local(reference, base_urls), base_urls=base_urls
            )
            ids[reference] = holder["reference"] = resolved
    if mentions:
        _replace_other_mentions(resource, resource.get("resourceType", ""), ids)


def _replace_other_mentions(value: Any, type_name: str, ids: dict[str, str]) -> None:
    """Elements of type uri, url, oid, uuid or canonical equal to a fullUrl, and narrative
    links to one (`<a href>`, `<img src>`); other strings (an Identifier.value) are data."""
    specs = fhir_profiles.elements().get(type_name, {})
    for key, child in value.items():
        spec = specs.get(key)
        if spec is None:
            continue
        element_type = spec[0]
        if element_type in _URI_TYPES:
            value[key] = (
                [ids.get(v, v) for v in child] if isinstance(child, list) else ids.get(child, child)
            )
        elif element_type == "xhtml" and isinstance(child, str) and "urn:" in child:
            for full_url, identity in ids.items():
                child = child.replace(f'"{full_url}"', f'"{identity}"')
            value[key] = child
        else:
            for item in child if isinstance(child, list) else [child]:
                if isinstance(item, dict):
                    inner = (
                        item.get("resourceType", "") if element_type == "Resource" else element_type
                    )
                    _replace_other_mentions(item, inner, ids)


def _references(resource: Any, ids: dict[str, str]) -> tuple[list[dict[str, Any]], bool]:
    """Every object with a string `reference`, anywhere (extensions and contained included),
    and whether any other string names a fullUrl of `ids` (then a typed walk follows)."""
    found: list[dict[str, Any]] = []
    return found, _collect(resource, found, ids)


def _collect(value: dict[str, Any], found: list[dict[str, Any]], ids: dict[str, str]) -> bool:
    mentions = False
    if type(value.get("reference")) is str:
        found.append(value)
    for key, child in value.items():
        kind = type(child)
        if kind is dict:
            mentions = _collect(child, found, ids) or mentions
        elif kind is list:
            for item in child:
                if type(item) is dict:
                    mentions = _collect(item, found, ids) or mentions
                elif type(item) is str and item in ids:
                    mentions = True
        elif kind is str and key != "reference" and ids:
            mentions = mentions or child in ids or (key == "div" and "urn:" in child)
    return mentions


async def _execute(
    services: Services, entry: Entry, base_urls: tuple[str, ...], unit: Unit | None
) -> Outcome:
    store = services.store(entry.resource_type)
    if entry.method == "DELETE":
        return await _delete(services, entry, base_urls, unit)
    if entry.method == "POST":
        assert entry.resource is not None
        if entry.if_none_exist:
            written = await conditional.conditional_create(
                services, store, entry.resource, entry.if_none_exist,
                base_urls=base_urls, resource_id=entry.target_id, unit=unit, known=entry.known,
            )  # fmt: skip
            if entry.target_id is not None and written.version.id != entry.target_id:
                raise VersionConflict(
                    f"`{entry.resource_type}?{entry.if_none_exist}` was created concurrently."
                )
        else:
            written = await resources.create(
                store, entry.resource, resource_id=entry.target_id, unit=unit
            )
        return Outcome("201 Created" if written.created else "200 OK", written.version)
    if entry.method == "PUT":
        return await _put(services, entry, base_urls, unit)
    if entry.method in ("GET", "HEAD"):
        return await _get(services, entry, base_urls)
    raise MethodNotAllowed(f"`{entry.method}` is not supported in Bundles.")


async def _put(
    services: Services, entry: Entry, base_urls: tuple[str, ...], unit: Unit | None
) -> Outcome:
    assert entry.resource is not None
    store = services.store(entry.resource_type)
    if entry.criteria:
        written = await conditional.conditional_update(
            services, store, entry.resource, entry.criteria,
            base_urls=base_urls, unit=unit, new_id=entry.target_id,
        )  # fmt: skip
    elif entry.resource_id:
        written = await resources.update(
            store, entry.resource_id, entry.resource, if_match=entry.if_match, unit=unit
        )
    else:
        raise InvalidRequest(
            "PUT needs `Type/id` or `Type?criteria` as its url.", expression="request.url"
        )
    if not written.changed:
        return Outcome("200 OK", written.version, outcome=operation_outcome([resources.NO_CHANGE]))
    return Outcome("201 Created" if written.created else "200 OK", written.version)


async def _delete(
    services: Services, entry: Entry, base_urls: tuple[str, ...], unit: Unit | None
) -> Outcome:
    store = services.store(entry.resource_type)
    target = entry.target_id or entry.resource_id
    if target:
        version = await resources.delete(store, target, if_match=entry.if_match, unit=unit)
    elif entry.criteria:
        version = await conditional.conditional_delete(
            services, store, entry.criteria, base_urls=base_urls, unit=unit
        )
    else:
        raise InvalidRequest(
            "DELETE needs `Type/id` or `Type?criteria` as its url.", expression="request.url"
        )
    return Outcome("204 No Content", extra={"etag": f'W/"{version.version_id}"'})


async def _get(services: Services, entry: Entry, base_urls: tuple[str, ...]) -> Outcome:
    """A read, vread or search entry: its answer is the entry's resource, always."""
    store = services.store(entry.resource_type)
    if entry.resource_id and entry.version_id:
        version = await resources.vread(store, entry.resource_id, entry.version_id)
        return Outcome("200 OK", version, resource=version.resource)
    if entry.resource_id:
        version = await resources.read(store, entry.resource_id)
        return Outcome("200 OK", version, resource=version.resource)
    settings = services.settings
    searched = parse(
        entry.resource_type,
        parse_qsl(entry.criteria or "", keep_blank_values=True),
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
    )
    bundle = await searchset(services, searched, base=base_urls[0] if base_urls else "")
    return Outcome("200 OK", resource=bundle)


async def _batch_entry(services: Services, entry: Entry, base_urls: tuple[str, ...]) -> Outcome:
    """One batch entry on its own: its failure is its own response (http.html#transaction)."""
    try:
        if entry.resource is not None:
            await _rewrite_references(services, entry.resource, {}, base_urls)
        if entry.method == "POST":
            entry.target_id = None
        return await _execute(services, entry, base_urls, None)
    except GatewayError as error:
        return Outcome(
            f"{error.status} {_reason(error.status)}", outcome=operation_outcome(error.issues)
        )


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase


def _response(kind: str, outcomes: list[Outcome], representation: bool, base: str) -> FhirJson:
    return {
        "resourceType": "Bundle",
        "id": resources.new_id(),
        "type": kind,
        "entry": [_response_entry(o, representation, base) for o in outcomes],
    }


def _response_entry(outcome: Outcome, representation: bool, base: str) -> FhirJson:
    response: FhirJson = {"status": outcome.status}
    version = outcome.version
    if version is not None:
        response["location"] = f"{version.resource_type}/{version.id}/_history/{version.version_id}"
        response["etag"] = f'W/"{version.version_id}"'
        response["lastModified"] = format_instant(version.last_updated)
    response.update(outcome.extra)
    if outcome.outcome is not None:
        response["outcome"] = outcome.outcome
    entry: FhirJson = {}
    body = outcome.resource or (version.resource if version is not None else None)
    if body is not None and (representation or outcome.resource is not None):
        entry["resource"] = body
    if version is not None and version.resource is not None:
        entry["fullUrl"] = f"{base}/{version.resource_type}/{version.id}"
    entry["response"] = response
    return entry
