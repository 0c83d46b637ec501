"""An app's rows stored as FHIR: checked and mapped by its adapter, written as one transaction.

`POST /apps/{app}/records` and `import --from`. The rows are read and validated
(mappers.apps.ingest), the rows their foreign keys name but the request lacks are looked up in
the store by the FHIR id their identity gives, and the resources go through the FHIR
transaction (gateway.services.transaction), so profiles, validation, versions and atomicity are
those of `POST [base]`: any refusal stores nothing. Each resource is a PUT at its identity's id,
so a re-send changes nothing and stores no version (http.html#update, no-change updates). What
a sent row made before and makes no more (gateway.services.apps.stale) is a DELETE in the same
transaction: the row replaces what it made, and a failed request deletes nothing.

Authorization (issue 13): the rows a foreign key names are looked up only among what the token
may read (what it may not is as absent as what is not stored), and every write and deletion is
checked before the transaction starts (gateway.services.apps.authorize).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from gateway.auth.compartment import compartment_types
from gateway.errors import (
    GatewayError,
    InvalidResource,
    Issue,
    PayloadTooLarge,
    UnprocessableResource,
)
from gateway.jsonio import Json
from gateway.services.access import current
from gateway.services.apps.authorize import check_some_write, check_writes
from gateway.services.apps.registry import app_adapter
from gateway.services.apps.stale import Ref, stale_resources
from gateway.services.context import Services
from gateway.services.resources import NO_CHANGE
from gateway.services.transaction import process
from mappers.apps.ingest import (
    Mapped,
    Records,
    Target,
    check_foreign_keys,
    map_records,
    read_records,
    wanted,
)
from mappers.outcome import GATEWAY_OUTCOMES


async def store_records(
    services: Services, app: str, payload: Any, *, max_entries: int | None
) -> Json:
    """Store `payload` (entity name -> rows) of `app`; the answer says what happened to each
    FHIR type and row. `max_entries`: the most resources one request may make (None: any)."""
    adapter = app_adapter(app)
    records = read_records(adapter, payload)
    check_some_write()
    stored = await _stored(services, wanted(records))
    check_foreign_keys(records, stored)
    mapped = map_records(records, stored)
    if max_entries is not None and len(mapped.resources) > max_entries:
        raise PayloadTooLarge(
            f"The records make {len(mapped.resources)} resources; the limit of one request is "
            f"{max_entries} (send fewer rows per request, or use `fhir-gateway import --from`)."
        )
    stale = await stale_resources(services, records, mapped)
    await check_writes(services, mapped.resources, stale)
    entries = await _transaction(services, records, mapped, stale)
    return {
        "app": adapter.name,
        "resources": _by_type(mapped.resources, entries, stale),
        "rows": mapped.made,
        "skipped": [
            {"entity": name, "rows": count, "reason": _reason(records, name)}
            for name, count in records.skipped.items()
        ],
        "dropped": [
            {"entity": name, "field": secret, "rows": count}
            for name, secrets in records.dropped.items()
            for secret, count in secrets.items()
        ],
    }


async def _stored(services: Services, targets: list[Target]) -> dict[tuple[str, str], Json]:
    """The stored primary resources of `targets`, keyed (entity, native id); one read per type.

    A row of a type that is in no patient's compartment (a clinic's Organization, a
    Practitioner) is found whatever the token may read: a foreign key only makes a reference,
    and every resource the rows make is then checked for the write (apps.authorize), so a
    patient app may name its stored clinic. A row of a compartment type the token may not read
    (another patient) is as unknown as a missing one: the 422 does not tell it exists."""
    by_type: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        for resource_type in target.types:
            by_type[resource_type].append(target)
    found: dict[tuple[str, str], Json] = {}
    for resource_type, wanted_here in by_type.items():
        store = services.store(resource_type)
        documents = await store.current_documents([t.resource_id for t in wanted_here])
        versions = [store.to_version(d).resource for d in documents]
        known = [r for r in versions if r is not None]
        if resource_type in compartment_types():  # another patient's row stays unknown
            known = current().visible("r", known)
        resources = {r["id"]: r for r in known}
        for target in wanted_here:
            resource = resources.get(target.resource_id)
            if resource is not None:
                found[(target.entity, target.native_id)] = resource
    return found


async def _transaction(
    services: Services, records: Records, mapped: Mapped, stale: list[Ref]
) -> list[Json]:
    """The transaction-response's entries: one per resource in order, then one per stale
    resource (deleted); a refusal names the rows."""
    puts = [
        {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
        for r in mapped.resources
    ]
    deletes = [{"request": {"method": "DELETE", "url": f"{t}/{i}"}} for t, i in stale]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": puts + deletes}
    # The entry limit was applied to the rows' resources already (None for the command line);
    # the deletions are the rows' too, and never refuse a request the limit lets through.
    limit = max(len(bundle["entry"]), services.settings.max_bundle_entries)
    unlimited = dataclasses.replace(
        services, settings=services.settings.model_copy(update={"max_bundle_entries": limit})
    )
    try:
        response = await process(unlimited, bundle, base_urls=(), representation=False)
    except GatewayError as error:
        error.issues = [_naming_rows(issue, records, mapped) for issue in error.issues]
        if error.status == InvalidResource.status:
            # A row whose values FHIR cannot carry: the request is well-formed JSON of rows the
            # app's models accept, so to the app it is unprocessable (422), like any bad row.
            raise UnprocessableResource(error.issues[0].diagnostics, issues=error.issues) from error
        raise
    entries: list[Json] = response["entry"]
    return entries


def _naming_rows(issue: Issue, records: Records, mapped: Mapped) -> Issue:
    """A transaction issue (`Bundle.entry[3].resource.name`) as the rows that made the entry's
    resource, the element named in FHIR's terms (`Organization.name`)."""
    expression = issue.expression or ""
    if not expression.startswith("Bundle.entry["):
        return issue
    number, _, rest = expression[len("Bundle.entry[") :].partition("]")
    if int(number) >= len(mapped.resources):
        return issue  # a deletion (it changed meanwhile): the issue names its `Type/id`
    resource = mapped.resources[int(number)]
    ref = f"{resource['resourceType']}/{resource['id']}"
    element = resource["resourceType"] + rest.removeprefix(".resource")
    rows = [
        f"{entity}[{row.index}]"
        for entity, made in mapped.made.items()
        for native_id, refs in made.items()
        if ref in refs and (row := records.find(entity, native_id)) is not None
    ]
    said = issue.diagnostics.removeprefix(f"Bundle.entry[{number}]: ")
    return dataclasses.replace(
        issue,
        diagnostics=f"{records.adapter.name} {', '.join(rows) or ref} made `{ref}`, which the "
        f"FHIR write checks refuse at `{element}`: {said}",
        expression=rows[0] if rows else expression,
    )


def _by_type(
    resources: list[Json], entries: list[Json], stale: list[Ref]
) -> dict[str, dict[str, Any]]:
    """Per FHIR type what the request did; `ids` are those it wrote (not those it deleted)."""
    counts: dict[str, dict[str, Any]] = {}

    def of(resource_type: str) -> dict[str, Any]:
        empty = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0, "ids": []}
        return counts.setdefault(resource_type, empty)

    for resource, entry in zip(resources, entries[: len(resources)], strict=True):
        here = of(resource["resourceType"])
        here[_outcome(entry["response"])] += 1
        here["ids"].append(resource["id"])
    for resource_type, _ in stale:
        of(resource_type)["deleted"] += 1
    return counts


def _outcome(response: Json) -> str:
    if response["status"].startswith("201"):
        return "created"
    issues = (response.get("outcome") or {}).get("issue", ())
    codes = {
        (coding.get("system"), coding.get("code"))
        for issue in issues
        for coding in (issue.get("details") or {}).get("coding", ())
    }
    return "unchanged" if (GATEWAY_OUTCOMES, NO_CHANGE.details_code) in codes else "updated"


def _reason(records: Records, entity_name: str) -> str:
    entity = records.adapter.entity(entity_name)
    return (entity.no_home if entity else None) or "no FHIR home."
