"""Every resource a store holds, for tests that compare the whole store before and after."""

from __future__ import annotations

from gateway.jsonio import Json
from gateway.services.context import Services
from gateway.services.generic import kept_types


async def stored(services: Services) -> dict[str, Json]:
    """`Type/id` -> the current resource (meta.versionId included), of every type held."""
    found: dict[str, Json] = {}
    for resource_type in await services.storage.holding(kept_types()):
        store = services.store(resource_type)
        for document in await store.fetch({}):
            resource = store.to_version(document).resource
            assert resource is not None
            found[f"{resource_type}/{resource['id']}"] = resource
    return found
