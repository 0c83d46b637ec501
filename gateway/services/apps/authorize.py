"""Whether the request's token may make the writes an app's rows make, before any is made.

Issue 13, the rule of gateway.services.access: a write whose old or new content is outside the
grant is a 403 and nothing is stored. `POST /apps/{app}/records` is one transaction of PUTs (a
resource the store lacks is a create, one it holds an update) and DELETEs (gateway.services.
apps.stale); all are checked here first, so a refused request writes nothing and the answer
names the first refused resource. The transaction checks each entry again (gateway.services.
resources): the same rule, so the two never disagree, and with AUTH_MODE=off neither costs
anything (`Access.unrestricted`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from gateway.errors import Forbidden
from gateway.jsonio import Json
from gateway.services.access import current
from gateway.services.apps.stale import Ref
from gateway.services.context import Services
from gateway.services.generic import kept_types


def check_some_write() -> None:
    """403 first, before the rows' foreign keys are looked up, for a token that may neither
    create nor update any type: without a write scope the answer is the scope's 403, never a
    422 about a row the token could not see."""
    access = current()
    if access.unrestricted:
        return
    if not any(access.allows(i, t) for t in kept_types() for i in ("c", "u")):
        raise Forbidden(
            "The access token has no scope to create or update any resource (needs e.g."
            " `user/Patient.cu`); storing an app's rows writes FHIR resources.",
            code="MSG_AUTH_SCOPE",
        )


async def check_writes(services: Services, resources: list[Json], stale: list[Ref]) -> None:
    """403 `Forbidden` unless the token may create or update each of `resources` (both the
    stored and the new content) and delete each `stale` resource."""
    access = current()
    if access.unrestricted:
        return
    refs = [(r["resourceType"], r["id"]) for r in resources]
    stored = await _current(services, [*refs, *stale])
    for ref, resource in zip(refs, resources, strict=True):
        before = stored.get(ref)
        if before is None:
            access.check("c", resource)
        else:
            access.check("u", before)
            access.check("u", resource)
    for ref in stale:
        before = stored.get(ref)
        if before is not None:
            access.check("d", before)


async def _current(services: Services, refs: Iterable[Ref]) -> dict[Ref, Json]:
    """The stored current resources of `refs`, one query per type."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for resource_type, resource_id in refs:
        by_type[resource_type].append(resource_id)
    found: dict[Ref, Json] = {}
    for resource_type, ids in by_type.items():
        store = services.store(resource_type)
        for document in await store.current_documents(ids):
            resource = store.to_version(document).resource
            if resource is not None:
                found[(resource_type, resource["id"])] = resource
    return found
