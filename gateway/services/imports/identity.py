"""The id an imported resource gets, decided from what it is, not from when it arrives.

The source id with `--keep-ids`; otherwise an existing Patient (or an entry with `ifNoneExist`)
matched on its identifier; otherwise a UUID derived from the source's `Type/id`, from the
identifier, or from the content. A re-run therefore writes to the same ids, finds the same
content there and counts it unchanged; an interrupted run re-run finishes the rest. The HTTP
target (gateway.cli.remote) decides with `local_target` alone: it has no store to look in.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from gateway.errors import InvalidResource, Issue
from gateway.jsonio import Json, dumps
from gateway.services import conditional, resources
from gateway.services.context import Services
from gateway.services.imports.report import UNKNOWN
from gateway.store.conformance import CONFORMANCE_TYPES, refusal

NAMESPACE = uuid.UUID("6f0bd2a3-43a3-4bd2-9d56-0a5a6d2f7c11")  # fhir-gateway import ids


def reported_type(resource: Json) -> str:
    """The type an item is counted under, whether or not it is one."""
    resource_type = resource.get("resourceType")
    return resource_type if isinstance(resource_type, str) and resource_type else UNKNOWN


def kept_type(resource: Json, *, keeps: Callable[[str], bool]) -> str:
    """The resource's type, when this server keeps it; every target refuses the same way."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        text = "The resource has no `resourceType`."
        raise InvalidResource(
            text, issues=[Issue(text, code="required", expression="resourceType")]
        )
    if not keeps(resource_type):
        text = f"Unknown resource type `{resource_type}`."
        raise InvalidResource(
            text, issues=[Issue(text, code="not-supported", expression="resourceType")]
        )
    if resource_type in CONFORMANCE_TYPES:  # the store would refuse the whole batch: refuse it
        raise refusal(resource_type)
    return resource_type


def local_target(resource_type: str, resource: Json, request: Json, *, keep_ids: bool) -> str:
    """The id decided without the store: the source id (`--keep-ids`), else one derived from
    the source `Type/id`, the identifier, or the content."""
    source_id = resource.get("id")
    if keep_ids and isinstance(source_id, str):
        return resources.check_id(source_id)
    if isinstance(source_id, str):
        return derived_id(resource_type, "id", source_id)
    criteria = request.get("ifNoneExist") or identity_criteria(resource)
    if criteria:
        return derived_id(resource_type, "identifier", criteria)
    return derived_id(resource_type, "content", _fingerprint(resource))


def derived_id(resource_type: str, kind: str, value: str) -> str:
    """A stable id for a resource arriving without one the gateway should keep."""
    return str(uuid.uuid5(NAMESPACE, f"{resource_type}|{kind}|{value}"))


def identity_criteria(resource: Json) -> str | None:
    """`identifier=system|value` of the first full identifier, the import's matching key."""
    return next(iter(all_identity_criteria(resource)), None)


def all_identity_criteria(resource: Json) -> list[str]:
    identifiers = resource.get("identifier")
    return [
        f"identifier={identifier['system']}|{identifier['value']}"
        for identifier in (identifiers if isinstance(identifiers, list) else [])
        if isinstance(identifier, dict)
        and isinstance(identifier.get("system"), str)
        and isinstance(identifier.get("value"), str)
        and identifier["system"]
        and identifier["value"]
    ]


def _fingerprint(resource: Json) -> str:
    body = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return hashlib.sha256(dumps(body, sort_keys=True)).hexdigest()


class Identities:
    """Ids decided with the store's help: a Patient, or an entry with `ifNoneExist`, that is
    already stored keeps its id. One look-up per identity and run."""

    def __init__(self, services: Services, *, keep_ids: bool) -> None:
        self.services, self.keep_ids = services, keep_ids
        self.matched: dict[tuple[str, str], str] = {}  # (type, identity criteria) -> target

    async def target(self, resource_type: str, resource: Json, request: Json) -> str:
        """The id this resource gets (see the module docstring)."""
        if not (self.keep_ids and isinstance(resource.get("id"), str)):
            criteria = request.get("ifNoneExist") or identity_criteria(resource)
            if criteria and (resource_type == "Patient" or request.get("ifNoneExist")):
                key = (resource_type, criteria)
                if key not in self.matched:  # the same patient in many files: one look-up
                    found = await conditional.matching_ids(self.services, resource_type, criteria)
                    self.matched[key] = (
                        found[0]
                        if len(found) == 1
                        else local_target(resource_type, resource, request, keep_ids=False)
                    )
                target = self.matched[key]
                # Its other identifiers name it too: a later file may list them first, before
                # this resource is written (batches are targeted ahead of their writing).
                for other in all_identity_criteria(resource):
                    self.matched.setdefault((resource_type, other), target)
                return target
        return local_target(resource_type, resource, request, keep_ids=self.keep_ids)
