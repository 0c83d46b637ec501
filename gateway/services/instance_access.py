"""The authorization of the instance interactions and writes, in one place (issue 13).

The rule is gateway.services.access's; this module says which resource each interaction checks,
so the HTTP routes, Bundle entries, conditional interactions and the import are decided alike:

- read, vread, instance history: the type needs a read scope before any lookup (so a token
  without one gets 403, never a 404 or 410 that tells whether the id exists), then every body
  returned must be inside the grant.
- create: the body as it will be stored, with the id the server gives it (a Patient is in its
  own compartment by id, so a `patient/` token cannot create another Patient).
- update: the new body AND the version it replaces, so a token can neither take over another
  patient's resource nor move its own out of its compartment; an update that creates (no
  current version) needs create as well (http.html#upsert).
- delete: the version it deletes; deleting what is not there needs the scope on the type only.

Callers test `access.unrestricted` first, so with AUTH_MODE=off the cost is one attribute read.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.errors import Forbidden
from gateway.jsonio import Json
from gateway.services.access import Access
from gateway.store.versions import Version


def stored_as(resource: Json, resource_id: str) -> Json:
    """`resource` with the id it will be stored under."""
    return resource if resource.get("id") == resource_id else {**resource, "id": resource_id}


def check_read(access: Access, version: Version) -> Version:
    """A read or vread answer: its body must be inside the grant (a deletion has none)."""
    if version.resource is not None:
        access.check("r", version.resource)
    return version


def check_history(access: Access, resource_type: str, versions: Iterable[Version]) -> None:
    """An instance history: one version outside the grant refuses the whole (403), so the
    answer never shows a version the token could not read by itself."""
    for version in versions:
        if version.resource is not None and not access.may("r", version.resource):
            raise Forbidden(
                f"The access token does not allow reading every version of "
                f"`{resource_type}/{version.id}`.",
                code="MSG_AUTH_SCOPE",
            )


def check_update(access: Access, new: Json, replaced: Version | None) -> None:
    """An update of `replaced` (None: the update creates) with the body `new`."""
    access.check("u", new)
    if replaced is None:
        access.check("c", new)
    elif replaced.resource is not None:
        access.check("u", replaced.resource)


def check_delete(access: Access, resource_type: str, deleted: Version | None) -> None:
    """A delete of `deleted` (None: nothing current, the answer is 404 or the old deletion)."""
    if deleted is None or deleted.resource is None:
        access.restriction("d", resource_type)
    else:
        access.check("d", deleted.resource)
