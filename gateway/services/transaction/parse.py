"""A transaction or batch Bundle as its entries (https://hl7.org/fhir/R4/bundle.html).

Everything that makes the Bundle unprocessable is found here, before any entry runs: the
Bundle's type, each entry's request, and invariant bdl-7.
"""

from __future__ import annotations

from typing import Any

from gateway.errors import InvalidRequest, PayloadTooLarge
from gateway.jsonio import Json
from gateway.search.reference import local_form
from gateway.services.transaction.entries import ORDER, Entry


def parse_bundle(
    bundle: Json, *, max_entries: int, base_urls: tuple[str, ...]
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
    entries = [_entry(i, e, base_urls) for i, e in enumerate(raw)]
    _check_unique_full_urls(entries)
    return kind, entries


def _entry(index: int, raw: Any, base_urls: tuple[str, ...]) -> Entry:
    where = f"Bundle.entry[{index}]"
    request = raw.get("request") if isinstance(raw, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise InvalidRequest(f"{where} needs request.method and request.url.", expression=where)
    method = request.get("method")
    if not isinstance(method, str) or method not in ORDER:  # a list or object: 400, not 500
        raise InvalidRequest(f"{where}.request.method `{method}` is not an HTTP verb of FHIR.",
                             expression=f"{where}.request.method")  # fmt: skip
    resource = raw.get("resource")
    if resource is None and method in ("POST", "PUT"):
        raise InvalidRequest(
            f"{where} ({method}) needs a resource.", expression=f"{where}.resource"
        )
    if resource is not None and not isinstance(resource, dict):
        raise InvalidRequest(
            f"{where}.resource must be a JSON object.", expression=f"{where}.resource"
        )
    _check_strings(where, {"fullUrl": raw.get("fullUrl"),
                           "request.ifNoneExist": request.get("ifNoneExist")})  # fmt: skip
    url = local_form(request["url"], base_urls)
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


def _check_strings(where: str, elements: dict[str, Any]) -> None:
    """fullUrl is a uri and ifNoneExist a string (bundle.html#resource): any other JSON there
    would reach the planning as a key or a query."""
    for name, value in elements.items():
        if value is not None and not isinstance(value, str):
            raise InvalidRequest(f"{where}.{name} must be a string.", expression=f"{where}.{name}")


def _check_unique_full_urls(entries: list[Entry]) -> None:
    """bdl-7: "FullUrl must be unique in a bundle, or else entries with the same fullUrl must
    have different meta.versionId (except in history bundles)" (bundle.html#invariants).
    Two entries claiming one fullUrl would make every reference to it ambiguous."""
    seen: dict[tuple[str, str | None], int] = {}
    for entry in entries:
        if entry.full_url is None:
            continue
        meta = (entry.resource or {}).get("meta")
        version = meta.get("versionId") if isinstance(meta, dict) else None
        key = (entry.full_url, version if isinstance(version, str) else None)
        first = seen.setdefault(key, entry.index)
        if first != entry.index:
            where = f"Bundle.entry[{entry.index}].fullUrl"
            raise InvalidRequest(
                f"{where} `{entry.full_url}` is also the fullUrl of Bundle.entry[{first}]; "
                "fullUrls must be unique in a Bundle unless their meta.versionId differ (bdl-7).",
                expression=where,
            )
