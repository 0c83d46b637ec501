"""The one authorization check: what the current request's grant lets the services do.

Issue 13, SMART on FHIR scopes (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html).
The HTTP edge authenticates every request and runs its handler `acting_as(Access(grant, bases))`;
every service that reads or writes resources asks `current()` and applies ONE of four checks, so
a read reached through a route, a Bundle entry, an include or an export is checked the same way:

- `restriction(interaction, type)`: the type is allowed at all, or 403 `Forbidden` before any I/O.
- `check(interaction, resource)`: a concrete resource (read, vread, history, the body of a
  create/update, the current version an update or delete replaces) is inside the grant, or 403.
- `clause(interaction, type, resolver)`: the MongoDB clause every match of a search must also
  satisfy (the patient's compartment, the v2 query); `None` when unrestricted, 403 when the
  type is not allowed. `clause_or_nothing` answers NOTHING instead of 403: for what a search
  touches on the side (chains, `_has`, the types of a system search without `_type`).
- `visible(interaction, resources)`: those inside the grant (includes, revincludes, gathered
  records), silently: what the token may not read is left out, never reported.

The rule, applied everywhere (README "Authorization"):
- No scope for the interaction on the type: 403.
- A search (type, system, compartment, `$everything`, `$lastn`, history of a type or the
  system, `$export`) answers only what the grant covers: a `patient/` token searching another
  patient's compartment gets an empty result, not a 403, so it learns nothing by asking.
- An instance interaction (read, vread, instance history, update, delete, `$validate` of a
  stored resource) on a resource outside the grant: 403.
- A write whose new content would fall outside the grant (an Observation for another patient):
  403, nothing stored; in a transaction the whole Bundle fails.

Outside a request (CLI, demo load, tests calling services directly) `current()` is `TRUSTED`:
the operator at the command line is the system itself.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gateway.auth.grant import GRANT_ALL, Condition, Grant, Restriction
from gateway.auth.queries import supported
from gateway.auth.scopes import Interaction
from gateway.errors import Forbidden
from gateway.jsonio import Json
from gateway.search.filters import Resolver, build_filter
from gateway.search.model import NOTHING, Clause
from gateway.search.paths import all_of, any_of
from gateway.search.request import parse
from gateway.services.compartments import membership

_LETTERS: dict[Interaction, str] = {
    "c": "create",
    "r": "read",
    "u": "update",
    "d": "delete",
    "s": "search",
}


@dataclass(frozen=True, slots=True)
class Access:
    """A request's grant and this server's bases (so `{base}/Patient/1` counts as Patient/1)."""

    grant: Grant
    base_urls: tuple[str, ...] = ()

    @property
    def unrestricted(self) -> bool:
        """Everything is allowed (AUTH_MODE=off, the CLI): callers may skip their checks."""
        return self.grant is GRANT_ALL

    def restriction(self, interaction: Interaction, resource_type: str) -> Restriction:
        """What `interaction` on `resource_type` is limited to; 403 when not allowed at all."""
        restriction = self.grant.restrictions(interaction, resource_type)
        if not restriction.allowed:
            raise Forbidden(
                f"The access token has no scope to {_LETTERS[interaction]} {resource_type} "
                f"(needs e.g. `user/{resource_type}.{interaction}`).",
                code="MSG_AUTH_SCOPE",
            )
        return restriction

    def allows(self, interaction: Interaction, resource_type: str) -> bool:
        """Some scope allows `interaction` on the type, perhaps restricted."""
        return self.grant.allows(interaction, resource_type)

    def may(self, interaction: Interaction, resource: Json) -> bool:
        """`resource` is inside the grant for `interaction`."""
        if self.unrestricted:
            return True
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str):
            return False
        restriction = self.grant.restrictions(interaction, resource_type)
        return restriction.met_by(resource, base_urls=self.base_urls)

    def check(self, interaction: Interaction, resource: Json) -> None:
        """403 unless `resource` is inside the grant for `interaction`."""
        if self.unrestricted:
            return
        resource_type = str(resource.get("resourceType"))
        self.restriction(interaction, resource_type)
        if not self.may(interaction, resource):
            where = f"{resource_type}/{resource.get('id')}" if resource.get("id") else resource_type
            raise Forbidden(
                f"The access token does not allow {_LETTERS[interaction]} of `{where}`: it is "
                "outside the patient or the query the token's scopes are limited to.",
                code="MSG_AUTH_SCOPE",
            )

    def visible(self, interaction: Interaction, resources: Iterable[Json]) -> list[Json]:
        """The resources inside the grant, in order; the rest are left out without a word."""
        if self.unrestricted:
            return list(resources)
        return [resource for resource in resources if self.may(interaction, resource)]

    async def clause(
        self, interaction: Interaction, resource_type: str, resolver: Resolver
    ) -> Clause | None:
        """The clause every match must satisfy; None when unrestricted; 403 when not allowed."""
        if self.unrestricted:
            return None
        restriction = self.restriction(interaction, resource_type)
        if restriction.unrestricted:
            return None
        alternatives = [
            await self._condition_clause(resource_type, condition, resolver)
            for condition in restriction.alternatives
        ]
        return any_of(alternatives)

    async def clause_or_nothing(
        self, interaction: Interaction, resource_type: str, resolver: Resolver
    ) -> Clause | None:
        """`clause`, but NOTHING (no match) where the type is not allowed at all."""
        if not self.unrestricted and not self.allows(interaction, resource_type):
            return NOTHING
        return await self.clause(interaction, resource_type, resolver)

    async def _condition_clause(
        self, resource_type: str, condition: Condition, resolver: Resolver
    ) -> Clause:
        clauses: list[Clause] = []
        if condition.patient is not None:
            clauses.append(
                membership("Patient", (condition.patient,), resource_type, base_urls=self.base_urls)
            )
        if condition.query:
            # Only what gateway.auth.queries can also check on one resource, so a search and a
            # read agree; anything else matches nothing (deny, never leak).
            if not all(supported(resource_type, code, value) for code, value in condition.query):
                return NOTHING
            request = parse(
                resource_type, condition.query, default_count=1, max_count=1, strict=True
            )
            clauses.append(
                await build_filter(
                    resource_type, request.parameters, resolver, base_urls=self.base_urls
                )
            )
        return all_of(clauses)


TRUSTED = Access(GRANT_ALL)
_current: contextvars.ContextVar[Access] = contextvars.ContextVar("access", default=TRUSTED)


def current() -> Access:
    """The access of the request being served; TRUSTED outside a request."""
    return _current.get()


@contextmanager
def acting_as(access: Access) -> Iterator[Access]:
    """Run the block (and the tasks it starts) under `access`."""
    token = _current.set(access)
    try:
        yield access
    finally:
        _current.reset(token)
