"""Every collection the gateway writes, and its indexes: the one table.

Beanie's document settings read it for the four domain collections and `history`, and
`init_beanie` creates those at start (gateway.store.documents); a generic collection's come from
the same table and are created by its store before its first write (gateway.store.repository),
so that a type nobody writes gets no collection.

Indexes name the fields search filters read (gateway.search): `index.*` values computed at
write time and typed paths. `last_updated` comes with `_id`, the order `_lastUpdated` sorts,
system searches merge and the history feeds read current versions in. Every resource collection
gets one index per search clinical apps make most (gateway.search.common_searches: patient with
date, code or status; identifier), its keys derived here from the parameters playing each role,
and one per parameter that puts it in the Patient compartment; DECLARED adds the others. A compound index holds at most one array field (MongoDB refuses
"parallel arrays"), which is why single-valued search values are stored as scalars. Tests check
that every common search's filter is served by an index prefix, and, over the demo data, that
every indexed field is one the stored documents have.
"""

from __future__ import annotations

from functools import cache

from pymongo import ASCENDING, IndexModel

import fhir_profiles
from gateway.search.common_searches import common_searches
from gateway.search.model import SearchParameter
from gateway.search.parameters import parameters_of
from gateway.search.paths import dotted

Keys = tuple[str, ...]  # the fields of one index, each ascending

DOMAIN_COLLECTIONS: dict[str, str] = {
    "Patient": "patients",
    "Encounter": "encounters",
    "Observation": "observations",
    "MedicationStatement": "medication_statements",
}
HISTORY = "history"
CLAIMS = "conditional_keys"
CHECKPOINTS = "reindex_progress"  # gateway.store.checkpoints
EXPORT_JOBS = "export_jobs"  # gateway.store.export_jobs
GENERIC_PREFIX = "generic_"  # + the resource type: the types kept whole (GenericRecord)

# Indexes beside those of the common searches (gateway.search.common_searches), which every
# resource collection gets from its parameters: the domain types' own (names, code + value), and
# the collections that hold no resources.
DECLARED: dict[str, tuple[Keys, ...]] = {
    "patients": (
        ("last_updated", "_id"),
        ("index.family",),
        ("index.name",),
        ("index.birthdate.start",),
        ("telecom.value",),
    ),
    "encounters": (("last_updated", "_id"),),
    "observations": (
        ("last_updated", "_id"),
        ("index.patient", "code.coding.code", "index.date.start"),
        ("index.patient", "categories.coding.code", "index.date.start"),
        ("code.coding.code", "value_quantity.value"),
        ("index.encounter",),
    ),
    "medication_statements": (
        ("last_updated", "_id"),
        ("medication_concept.coding.code",),
    ),
    HISTORY: (
        ("resource_type", "resource_id", "version_id"),
        # The history feeds (gateway.services.history_feed) read in (lastUpdated, type, id,
        # version) order, of every type or of one. Beanie takes two indexes of the same fields
        # in another order for one (its IndexModelField compares them sorted): the trailing
        # `_id` keeps the first apart, and orders nothing, as the four before it are unique.
        ("last_updated", "resource_type", "resource_id", "version_id", "_id"),
        ("resource_type", "last_updated", "resource_id", "version_id"),
    ),
    CLAIMS: (),  # a claim is only ever read by its `_id`
    CHECKPOINTS: (),  # likewise a checkpoint
    # The sweeps: running jobs whose lease lapsed, and jobs past their retention.
    EXPORT_JOBS: (("state", "heartbeat"), ("expires",)),
}
GENERIC: tuple[Keys, ...] = (("last_updated", "_id"),)  # besides the common searches
_RESOURCE_TYPES = {name: resource_type for resource_type, name in DOMAIN_COLLECTIONS.items()}
# Token kinds whose element is the code itself (`status`), and the sub-field holding the code
# of the others: an Identifier's and a ContactPoint's `value`, else `code` (Coding, the entries
# a write computes for the types kept whole).
_SCALAR_TOKENS = frozenset({"code", "boolean", "id"})
_CODE_FIELD = {"identifier": "value", "contact": "value"}
_SYSTEM_FIELD = {"contact": "use"}


def collection_name(resource_type: str) -> str:
    """Where the current versions of `resource_type` live."""
    return DOMAIN_COLLECTIONS.get(resource_type) or GENERIC_PREFIX + resource_type


def index_keys(collection: str) -> tuple[Keys, ...]:
    """The indexes of a collection besides `_id`'s."""
    resource_type = _RESOURCE_TYPES.get(collection)
    if resource_type is None and collection.startswith(GENERIC_PREFIX):
        resource_type = collection.removeprefix(GENERIC_PREFIX)
    if resource_type is None:
        if collection not in DECLARED:
            raise KeyError(f"No collection `{collection}` is declared.")
        return DECLARED[collection]
    return _resource_indexes(resource_type, DECLARED.get(collection, GENERIC))


def index_models(collection: str) -> list[IndexModel]:
    return [IndexModel([(key, ASCENDING) for key in keys]) for keys in index_keys(collection)]


@cache
def _resource_indexes(resource_type: str, declared: tuple[Keys, ...]) -> tuple[Keys, ...]:
    """`declared` and one index per common search of the type, leaving out any that is a
    prefix of another (MongoDB answers a query on a prefix from the longer index)."""
    searched = [search_keys(ps) for ps in common_searches(resource_type).values()]
    candidates = list(dict.fromkeys([*declared, *searched, *_patient_compartment(resource_type)]))
    return tuple(
        keys
        for keys in candidates
        if not any(other != keys and other[: len(keys)] == keys for other in candidates)
    )


def _patient_compartment(resource_type: str) -> list[Keys]:
    """One index per parameter putting the type in the Patient compartment (R4
    CompartmentDefinition): `$everything` and compartment searches OR them, and an `$or` uses
    indexes only when every branch has one (Observation's `subject`, `performer`)."""
    parameters = parameters_of(resource_type)
    codes = fhir_profiles.compartments()["Patient"].get(resource_type, ())
    return [
        (parameters[code].index_field,)
        for code in codes
        if code in parameters and parameters[code].type == "reference"
    ]


def search_keys(parameters: tuple[SearchParameter, ...]) -> Keys:
    """The index of a search: each parameter's fields in turn, equality before range (date
    parameters come last in the table). A compound index may run through one array only
    (MongoDB refuses "parallel arrays"), so it stops before a second parameter stored as one."""
    keys: list[str] = []
    arrays = 0
    for parameter in parameters:
        arrays += is_array(parameter)
        if arrays > 1:
            break
        keys.extend(parameter_keys(parameter))
    return tuple(keys)


def parameter_keys(parameter: SearchParameter) -> Keys:
    """The fields a filter on `parameter` tests, most selective first: an index on them in this
    order serves it (a token's code before its system, since `code` alone is a valid search)."""
    if parameter.type == "date":
        return (
            (dotted(parameter.paths[0]),)
            if parameter.point
            else (f"{parameter.index_field}.start",)
        )
    if parameter.type != "token":
        return (parameter.index_field,)
    path = dotted(parameter.paths[0])
    kind = parameter.kind or ""
    if kind in _SCALAR_TOKENS:
        return (path,)
    code = f"{path}.{_CODE_FIELD.get(kind, 'code')}"
    if kind in ("identifier", "contact") or path.startswith("index."):
        return (code, f"{path}.{_SYSTEM_FIELD.get(kind, 'system')}")
    return (code,)


def is_array(parameter: SearchParameter) -> bool:
    """Whether the stored values of `parameter` may be an array: a single-valued date or
    reference is stored bare (gateway.search.index), as is a domain field holding the code."""
    if parameter.type in ("date", "reference"):
        return not (parameter.single or parameter.point)
    if parameter.type == "token":
        path = parameter.paths[0]
        return parameter.kind not in _SCALAR_TOKENS or "[]" in path or path.startswith("index.")
    return True
