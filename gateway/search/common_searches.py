"""The searches clinical apps make most, per resource type: the one table the store's indexes
follow (gateway.store.indexes).

A patient's chart is read type by type: `Condition?patient=X&clinical-status=active`,
`MedicationRequest?patient=X&status=active`, `Observation?patient=X&code=...`,
`Encounter?patient=X&date=ge...` (the US Core and SMART app launch searches), and a record is
found again by its identifier. Each search is a list of roles; each role names the parameter
codes that play it, in order of preference, since types name their clinical date or status
differently (MedicationRequest's `authoredon`, Condition's `onset-date` and `clinical-status`).
A type gets a search when its registry (`parameters_of`) has a parameter of the right type for
every role, so the types kept whole gain theirs as their parameters are derived.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.search.model import ParamType, SearchParameter
from gateway.search.parameters import parameters_of


@dataclass(frozen=True, slots=True)
class Role:
    type: ParamType
    codes: tuple[str, ...]  # the first the type has plays the role


PATIENT = Role("reference", ("patient",))
# The clinical date of the type: when it was ordered, began, was recorded or happened.
DATE = Role("date", ("authoredon", "onset-date", "date", "effective", "effective-time",
                     "start-date", "started", "authored", "occurrence", "created", "recorded"))  # fmt: skip
CODE = Role("token", ("code", "vaccine-code", "type"))
STATUS = Role("token", ("clinical-status", "status", "lifecycle-status"))
IDENTIFIER = Role("token", ("identifier",))


@dataclass(frozen=True, slots=True)
class CommonSearch:
    name: str
    roles: tuple[Role, ...]


COMMON_SEARCHES = (
    CommonSearch("patient", (PATIENT,)),  # the chart, `$everything`, the compartment
    CommonSearch("patient+date", (PATIENT, DATE)),
    CommonSearch("patient+code", (PATIENT, CODE)),
    CommonSearch("patient+status", (PATIENT, STATUS)),
    CommonSearch("identifier", (IDENTIFIER,)),
)


def common_searches(resource_type: str) -> dict[str, tuple[SearchParameter, ...]]:
    """The common searches `resource_type` supports, by name: the parameters playing each role."""
    parameters = parameters_of(resource_type)
    found: dict[str, tuple[SearchParameter, ...]] = {}
    for search in COMMON_SEARCHES:
        cast = [_player(parameters, role) for role in search.roles]
        if all(cast):
            found[search.name] = tuple(p for p in cast if p is not None)
    return found


def _player(parameters: dict[str, SearchParameter], role: Role) -> SearchParameter | None:
    for code in role.codes:
        parameter = parameters.get(code)
        if parameter is not None and parameter.type == role.type:
            return parameter
    return None
