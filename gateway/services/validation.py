"""The $validate operation: what a write would find, answered as an OperationOutcome, never
written. https://hl7.org/fhir/R4/resource-operation-validate.html

The findings are those of the write path (gateway.services.resources.findings: structure, R4
invariants, claimed and required profiles) plus R4's own definition of the type
(`base_profile`) and a profile the caller names; structural errors are reported, not raised,
since the answer to "is this valid?" is 200 whatever it says (the operation's "return" is the
OperationOutcome). `mode=delete` checks only that the resource exists: the gateway enforces no
referential integrity, so any existing resource may be deleted.

Authorization (issue 13, gateway.services.access): validating is a write without the write or
a look at what is stored, so the token needs create, update or read on the type; on an instance
it must be allowed to read the stored resource, and `mode=delete` to delete it (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gateway.conformance import profile
from gateway.errors import Forbidden, Gone, InvalidRequest, InvalidResource, Issue, NotFound
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.profiles import ProfilePolicy, by_severity, distinct
from gateway.store.repository import ResourceStore
from mappers.outcome import operation_outcome

Mode = Literal["create", "update", "delete", "profile"]
MODES: tuple[Mode, ...] = ("create", "update", "delete", "profile")
CLEAN = Issue("validation found no problems", code="informational", severity="information")


@dataclass(frozen=True, slots=True)
class Validation:
    """The operation's inputs: the resource (none for a delete), the mode, the profiles named."""

    resource: Json | None
    mode: Mode | None = None
    profiles: tuple[str, ...] = ()


def parse_request(
    resource_type: str, body: Json, *, mode: str | None = None, profiles: tuple[str, ...] = ()
) -> Validation:
    """The body as the operation takes it: a plain resource, or a Parameters with `resource`,
    `mode` and `profile`; `mode` and `profiles` come from the URL's query."""
    if body.get("resourceType") == "Parameters" and resource_type != "Parameters":
        resource, mode, named = _parameters(body, mode)
        profiles = (*profiles, *named)
    else:
        resource = body
    if resource is not None and resource.get("resourceType") != resource_type:
        raise InvalidResource(
            f"resourceType `{resource.get('resourceType')}` does not match `{resource_type}`.",
            expression="resourceType",
        )
    if mode is not None and mode not in MODES:
        raise InvalidRequest(
            f"`{mode}` is not a $validate mode (one of {', '.join(MODES)}).", expression="mode"
        )
    if resource is None and mode != "delete":
        raise InvalidRequest("$validate needs a `resource` unless the mode is `delete`.")
    return Validation(resource, mode, profiles)


def _parameters(body: Json, mode: str | None) -> tuple[Json | None, str | None, list[str]]:
    resource: Json | None = None
    named: list[str] = []
    listed = body.get("parameter", [])
    if not isinstance(listed, list):
        raise InvalidRequest("`parameter` must be a list.", expression="Parameters.parameter")
    for index, parameter in enumerate(listed):
        where = f"Parameters.parameter[{index}]"
        if not isinstance(parameter, dict):
            raise InvalidRequest(f"{where} is not a parameter (an object).", expression=where)
        name = parameter.get("name")
        if name == "resource" and isinstance(parameter.get("resource"), dict):
            resource = parameter["resource"]
        elif name == "mode" and isinstance(parameter.get("valueCode"), str):
            mode = parameter["valueCode"]
        elif name == "profile" and isinstance(_uri(parameter), str):
            named.append(_uri(parameter))
        else:
            raise InvalidRequest(
                f"Parameter `{name}` is not a $validate parameter with a value of its type "
                "(resource: a resource, mode: valueCode, profile: valueUri or valueCanonical).",
                expression=where,
            )
    return resource, mode, named


def _uri(parameter: Json) -> Any:
    return parameter.get("valueUri", parameter.get("valueCanonical"))


async def validate(
    services: Services, resource_type: str, request: Validation, *, resource_id: str | None
) -> Json:
    """The OperationOutcome of the checks; 400 for a named profile the gateway does not hold,
    404 for a delete of what does not exist."""
    store = services.store(resource_type)  # an unsupported type is a 404, as for a write
    check_profiles(request.profiles)
    if request.mode == "delete":
        return await _delete(store, resource_id)
    assert request.resource is not None  # parse_request: only a delete goes without
    if not current().unrestricted:
        await _check_access(store, resource_id)
    issues = _id_issues(request, resource_type, resource_id)
    issues += findings(services.profiles, request.resource, request.profiles)
    return operation_outcome(by_severity(issues) or [CLEAN])


def findings(policy: ProfilePolicy, resource: Json, profiles: tuple[str, ...] = ()) -> list[Issue]:
    """Every finding about `resource`, errors first: structure (reported, not raised), R4
    invariants, the policy's profiles and `profiles` (held: see `check_profiles`), and R4's
    definition of its type. Needs no store: `fhir-gateway validate` runs it on files."""
    try:
        return distinct(resources.findings(resource, policy, also=profiles, base=True))
    except InvalidResource as error:
        # The profiles still say what else is wrong (the engine walks any JSON); what they find
        # at a path the structure already named is left out, as the same fault told twice.
        named = {issue.expression for issue in error.issues}
        checked = policy.issues(resource, also=profiles, base=True)
        return by_severity(error.issues + [i for i in checked if i.expression not in named])


def check_profiles(urls: tuple[str, ...]) -> None:
    """A profile the caller names must be held: checking against nothing would say "valid"."""
    for url in urls:
        if profile(url) is None:
            raise InvalidRequest(
                f"Profile `{url}` is not held by this server.", expression="profile"
            )


def _id_issues(request: Validation, resource_type: str, resource_id: str | None) -> list[Issue]:
    """mode=update: the resource must carry its id, the URL's if there is one (http.html#update)."""
    if request.mode != "update" or request.resource is None:
        return []
    body_id = request.resource.get("id")
    where = f"{resource_type}.id"
    if body_id is None:
        return [Issue("An update needs the resource's id.", code="required", expression=where,
                      details_code="MSG_RESOURCE_ID_MISSING")]  # fmt: skip
    if resource_id is not None and body_id != resource_id:
        text = f"The body's id `{body_id}` does not match the URL's `{resource_id}`."
        return [Issue(text, code="invariant", expression=where,
                      details_code="MSG_RESOURCE_ID_MISMATCH")]  # fmt: skip
    return []


async def _check_access(store: ResourceStore, resource_id: str | None) -> None:
    """Validating is writing without the write, or reading what is stored: the token needs
    create, update or read on the type (403), and on an instance, to be allowed to read it."""
    access, resource_type = current(), store.resource_type
    if not any(access.allows(letter, resource_type) for letter in ("c", "u", "r")):
        raise Forbidden(
            f"The access token has no scope to create, update or read {resource_type}, "
            "which $validate needs.",
            code="MSG_AUTH_SCOPE",
        )
    if resource_id is None:
        return
    try:
        stored = await resources.fetch(store, resource_id)
    except (NotFound, Gone):  # validating a resource to be created under this id
        return
    if stored.resource is not None:
        access.check("r", stored.resource)


async def _delete(store: ResourceStore, resource_id: str | None) -> Json:
    if resource_id is None:
        raise InvalidRequest(
            "mode=delete needs the resource's id: POST [type]/[id]/$validate.", expression="mode"
        )
    access = current()
    if not access.unrestricted:
        access.restriction("d", store.resource_type)  # before the lookup: no 404 without it
    stored = await resources.fetch(store, resource_id)  # 404 (410 if deleted) when not there
    if not access.unrestricted and stored.resource is not None:
        access.check("d", stored.resource)
    text = (
        f"`{store.resource_type}/{resource_id}` may be deleted: this server enforces no "
        "referential integrity, so references to it do not prevent the deletion."
    )
    return operation_outcome([Issue(text, code="informational", severity="information")])
