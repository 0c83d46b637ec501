"""The instance-level FHIR interactions: create, read, vread, update, delete, history.

https://hl7.org/fhir/R4/http.html. The service assigns ids (a client id on create is ignored,
http.html#create), numbers versions, keeps every version, and answers deletions with 410.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from gateway.domain.time import utc_now
from gateway.errors import (
    Gone,
    InvalidRequest,
    InvalidResource,
    Issue,
    NotFound,
    PreconditionFailed,
    UnprocessableResource,
)
from gateway.jsonio import Json
from gateway.services.access import Access
from gateway.services.access import current as current_access
from gateway.services.instance_access import (
    check_delete,
    check_history,
    check_read,
    check_update,
    stored_as,
)
from gateway.services.profiles import (
    ProfilePolicy,
    blocking,
    by_severity,
    repeats,
)
from gateway.store.repository import ResourceStore
from gateway.store.unit import Unit
from gateway.store.versions import Version, same_content
from mappers.invariants import invariant_issues
from mappers.outcome import GATEWAY_OUTCOMES
from mappers.r4 import validate

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# R4's operation-outcome codes have none for an update that changed nothing (HAPI FHIR says
# SUCCESSFUL_UPDATE_NO_CHANGE in its own system); clients such as the HTTP import read this one.
NO_CHANGE = Issue(
    "No changes were detected; the current version was kept.",
    code="informational",
    severity="information",
    details_code="no-change",
    details_system=GATEWAY_OUTCOMES,
)
DEFAULT_PROFILES = ProfilePolicy()


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: the version now stored and whether it created the resource."""

    version: Version
    created: bool
    changed: bool = True  # False: an update that said what the current version says
    warnings: tuple[Issue, ...] = ()  # what the checks found without refusing the write


def check_id(resource_id: str) -> str:
    if not _ID.fullmatch(resource_id):
        raise InvalidRequest(
            f"`{resource_id}` is not a valid FHIR id (1-64 of A-Z a-z 0-9 - .).",
            code="MSG_ID_INVALID",
        )
    return resource_id


def accept(
    store: ResourceStore,
    resource: Json,
    *,
    checked: bool = False,
    profiles: ProfilePolicy | None = None,
) -> Any:
    """Validate an incoming resource and map it to its record; raises 400/422 errors.
    `checked`: `validation_issues` already found none (the bulk import validates in workers).
    `profiles`: the write policy of the settings (default: the claimed profiles only)."""
    return admit(store, resource, checked=checked, profiles=profiles)[0]


def admit(
    store: ResourceStore,
    resource: Json,
    *,
    checked: bool = False,
    profiles: ProfilePolicy | None = None,
) -> tuple[Any, list[Issue]]:
    """`accept`, and the warnings the resource was accepted with (for Prefer: OperationOutcome)."""
    if resource.get("resourceType") != store.resource_type:
        raise InvalidResource(
            f"resourceType `{resource.get('resourceType')}` does not match `{store.resource_type}`.",
            expression="resourceType",
        )
    warnings: list[Issue] = []
    if not checked:
        warnings = findings(resource, profiles)
        if blocking(warnings):
            first = warnings[0].diagnostics
            raise UnprocessableResource(first, issues=warnings)
    return store.mapper.from_fhir(resource), warnings


def findings(
    resource: Json,
    profiles: ProfilePolicy | None = None,
    *,
    also: tuple[str, ...] = (),
    base: bool = False,
) -> list[Issue]:
    """Every finding of the write checks, errors first: structure (raises InvalidResource,
    400; with the policy's engine, VALIDATION_ENGINE), R4 invariants, then the profiles of the
    policy (gateway.services.profiles); `also` and `base` as `ProfilePolicy.issues` takes them
    ($validate asks for both)."""
    policy = profiles or DEFAULT_PROFILES
    structural = validate(resource, engine=policy.engine) + invariant_issues(resource)
    found = policy.issues(resource, also=also, base=base)
    return by_severity(structural + [i for i in found if not repeats(i, structural)])


def recheck(resource: Json, profiles: ProfilePolicy | None = None) -> list[Issue]:
    """`admit`'s verdict on a body equal to the stored current version, without structural
    validation or mapping: that content passed both when it was written (and the structural
    checks find errors only), so only the profile policy, which the settings may have changed
    since, is asked again; its warnings are answered as `admit` answers them."""
    found = by_severity((profiles or DEFAULT_PROFILES).issues(resource))
    if blocking(found):
        raise UnprocessableResource(found[0].diagnostics, issues=found)
    return found


def validation_issues(resource: Json, profiles: ProfilePolicy | None = None) -> list[Issue]:
    """What `accept` would reject `resource` for, as issues (warnings too); empty when valid."""
    try:
        issues = findings(resource, profiles)
    except InvalidResource as error:
        return error.issues
    return issues if blocking(issues) else []


def new_id() -> str:
    return str(uuid.uuid4())


def without_id(resource: Json) -> Json:
    """The body of a create as the server takes it: http.html#create, "the server SHALL ignore"
    an `id` the client sent, so an id that is not a valid FHIR id cannot fail the create."""
    if "id" not in resource:
        return resource
    return {key: value for key, value in resource.items() if key != "id"}


async def create(
    store: ResourceStore,
    resource: Json,
    *,
    resource_id: str | None = None,
    unit: Unit | None = None,
    record: Any = None,
    profiles: ProfilePolicy | None = None,
) -> Written:
    """POST: a new resource under a new server id (`resource_id` when a Bundle chose it);
    `record` when the caller has already accepted the resource. The body as it will be stored
    must be inside the request's grant (gateway.services.instance_access)."""
    resource = without_id(resource)
    resource_id = resource_id or new_id()
    access = current_access()
    if not access.unrestricted:
        store.check_writable()  # a published type stays a 405, whatever the token
        access.restriction("c", store.resource_type)
    warnings: list[Issue] = []
    if record is None:
        record, warnings = admit(store, resource, profiles=profiles)
    if not access.unrestricted:
        access.check("c", stored_as(resource, resource_id))
    version = await store.write(
        record,
        resource,
        resource_id=resource_id,
        version_id=1,
        updated=utc_now(),
        previous=None,
        method="POST",
        unit=unit,
    )
    return Written(version, created=True, warnings=tuple(warnings))


async def read(store: ResourceStore, resource_id: str) -> Version:
    """The current version, if the request's grant covers it (403); 404 unknown, 410 deleted."""
    access = current_access()
    if access.unrestricted:
        return await fetch(store, resource_id)
    access.restriction("r", store.resource_type)  # before the lookup: no 404/410 without a scope
    try:
        return check_read(access, await fetch(store, resource_id))
    except Gone:
        await check_deleted(access, store, resource_id)
        raise


async def check_deleted(access: Access, store: ResourceStore, resource_id: str) -> None:
    """A 410 tells that the resource existed: only for a token that could read what was
    deleted (its last version with a body); anyone else gets the 403 a read of it would."""
    latest = await store.latest_archived(resource_id)
    version_id = latest.version_id - 1 if latest is not None else 0
    while version_id > 0:
        before = await store.version(resource_id, version_id)
        if before is not None and before.resource is not None:
            check_read(access, before)
            return
        version_id -= 1


async def fetch(store: ResourceStore, resource_id: str) -> Version:
    """The current version, 404 unknown, 410 deleted: the server's own lookup, unchecked (for
    what needs to know a resource exists, not to answer it: $everything's patient)."""
    current = await store.current(check_id(resource_id))
    if current is not None:
        return current
    latest = await store.latest_archived(resource_id)
    if latest is not None and latest.deleted:
        raise Gone(f"`{store.resource_type}/{resource_id}` was deleted.", code="MSG_DELETED_ID")
    raise NotFound(f"`{store.resource_type}/{resource_id}` is not known.", code="MSG_NO_EXIST")


async def vread(store: ResourceStore, resource_id: str, version_id: str) -> Version:
    access = current_access()
    if not access.unrestricted:
        access.restriction("r", store.resource_type)
    if not version_id.isdigit():
        raise NotFound(f"Version `{version_id}` is not known.", code="MSG_NO_EXIST")
    version = await store.version(check_id(resource_id), int(version_id))
    if version is None:
        raise NotFound(
            f"`{store.resource_type}/{resource_id}/_history/{version_id}` is not known.",
            code="MSG_NO_EXIST",
        )
    if version.deleted:
        if not access.unrestricted:
            await check_deleted(access, store, resource_id)
        raise Gone(f"Version {version_id} of `{store.resource_type}/{resource_id}` is a deletion.")
    return version if access.unrestricted else check_read(access, version)


async def update(
    store: ResourceStore,
    resource_id: str,
    resource: Json,
    *,
    if_match: int | None = None,
    unit: Unit | None = None,
    profiles: ProfilePolicy | None = None,
) -> Written:
    """PUT: replace, or create with the client's id (http.html#upsert). A body that says
    exactly what the current version says (meta versions aside) is a no-op: no new version,
    as HAPI FHIR does, so re-sending data (a re-run import) leaves the history as it was.
    Such a body is compared before it is validated (`recheck`): re-sending costs a read.
    The new body and the version it replaces must be inside the request's grant."""
    check_id(resource_id)
    access = current_access()
    if not access.unrestricted:
        store.check_writable()
        access.restriction("u", store.resource_type)
    if resource.get("id") != resource_id:
        raise InvalidResource(
            f"The body's id `{resource.get('id')}` does not match the URL's `{resource_id}`.",
            expression=f"{store.resource_type}.id",
            code="MSG_RESOURCE_ID_MISMATCH",
        )
    current = await store.current_document(resource_id, unit)
    served = store.to_version(current) if current is not None else None
    if served is not None and same_content(served.resource or {}, resource):
        warnings = recheck(resource, profiles)
        _check_replace(access, store, resource, served, current, if_match)
        return Written(served, created=False, changed=False, warnings=tuple(warnings))
    record, warnings = admit(store, resource, profiles=profiles)
    _check_replace(access, store, resource, served, current, if_match)
    if current is None:
        latest = await store.latest_archived(resource_id, unit)
        next_version = latest.version_id + 1 if latest else 1
    else:
        next_version = current["version_id"] + 1
    version = await store.write(
        record,
        resource,
        resource_id=resource_id,
        version_id=next_version,
        updated=utc_now(),
        previous=current,
        method="PUT",
        unit=unit,
        previous_version=served,
    )
    return Written(version, created=current is None, warnings=tuple(warnings))


async def delete(
    store: ResourceStore,
    resource_id: str,
    *,
    if_match: int | None = None,
    unit: Unit | None = None,
) -> Version:
    """DELETE; deleting what is already deleted changes nothing (http.html#delete). What it
    deletes must be inside the request's grant."""
    access = current_access()
    if not access.unrestricted:
        store.check_writable()
        access.restriction("d", store.resource_type)
    current = await store.current_document(check_id(resource_id), unit)
    if not access.unrestricted:
        check_delete(access, store.resource_type, store.to_version(current) if current else None)
    if current is None:
        latest = await store.latest_archived(resource_id, unit)
        if latest is not None and latest.deleted:
            return latest
        raise NotFound(f"`{store.resource_type}/{resource_id}` is not known.", code="MSG_NO_EXIST")
    _check_precondition(store, resource_id, current, if_match)
    return await store.delete(current, updated=utc_now(), unit=unit)


async def history(store: ResourceStore, resource_id: str, *, count: int) -> list[Version]:
    """An instance's versions, newest first; 403 when the grant does not cover every one."""
    access = current_access()
    if not access.unrestricted:
        access.restriction("r", store.resource_type)
    versions = await store.versions(check_id(resource_id), limit=count)
    if not versions:
        raise NotFound(f"`{store.resource_type}/{resource_id}` is not known.", code="MSG_NO_EXIST")
    if not access.unrestricted:
        check_history(access, store.resource_type, versions)
    return versions


def _check_replace(
    access: Access,
    store: ResourceStore,
    resource: Json,
    served: Version | None,
    current: dict[str, Any] | None,
    if_match: int | None,
) -> None:
    """The grant, then If-Match: a 412 first would tell a version the token may not see."""
    if not access.unrestricted:
        check_update(access, resource, served)
    _check_precondition(store, str(resource.get("id")), current, if_match)


def _check_precondition(
    store: ResourceStore, resource_id: str, current: dict[str, Any] | None, if_match: int | None
) -> None:
    version = current["version_id"] if current else None
    if if_match is not None and version != if_match:
        raise PreconditionFailed(
            f"`{store.resource_type}/{resource_id}` is at version {version or 'none'}, "
            f"not {if_match} (If-Match).",
            code="MSG_VERSION_AWARE_CONFLICT",
        )
