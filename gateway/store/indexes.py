"""Every collection the gateway writes, and its indexes: the one table.

Beanie's document settings read it for the four domain collections and `history`, and
`init_beanie` creates those at start (gateway.store.documents); a generic collection's come from
the same table and are created by its store before its first write (gateway.store.repository),
so that a type nobody writes gets no collection.

Indexes name the fields search filters read (gateway.search): `index.*` values computed at
write time and typed paths. A compound index holds at most one array field (MongoDB refuses
"parallel arrays"), which is why single-valued search values are stored as scalars. A test loads
the demo data and checks that every indexed field is one the stored documents have.
"""

from __future__ import annotations

from functools import cache

from pymongo import ASCENDING, IndexModel

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
GENERIC_PREFIX = "generic_"  # + the resource type: the types kept whole (GenericRecord)

DECLARED: dict[str, tuple[Keys, ...]] = {
    "patients": (
        ("last_updated",),
        ("index.family",),
        ("index.name",),
        ("identifiers.system", "identifiers.value"),
        ("index.birthdate.start",),
        ("telecom.value",),
    ),
    "encounters": (
        ("last_updated",),
        ("index.patient", "index.date.start"),
        ("identifiers.system", "identifiers.value"),
    ),
    "observations": (
        ("last_updated",),
        ("index.patient", "code.coding.code", "index.date.start"),
        ("index.patient", "categories.coding.code", "index.date.start"),
        ("code.coding.code", "value_quantity.value"),
        ("index.encounter",),
        ("identifiers.system", "identifiers.value"),
    ),
    "medication_statements": (
        ("last_updated",),
        ("index.patient", "status"),
        ("medication_concept.coding.code",),
        ("identifiers.system", "identifiers.value"),
    ),
    HISTORY: (
        ("resource_type", "resource_id", "version_id"),
        ("resource_type", "last_updated"),
    ),
    CLAIMS: (),  # a claim is only ever read by its `_id`
    CHECKPOINTS: (),  # likewise a checkpoint
}


def collection_name(resource_type: str) -> str:
    """Where the current versions of `resource_type` live."""
    return DOMAIN_COLLECTIONS.get(resource_type) or GENERIC_PREFIX + resource_type


def index_keys(collection: str) -> tuple[Keys, ...]:
    """The indexes of a collection besides `_id`'s."""
    declared = DECLARED.get(collection)
    if declared is not None:
        return declared
    if not collection.startswith(GENERIC_PREFIX):
        raise KeyError(f"No collection `{collection}` is declared.")
    return _generic(collection.removeprefix(GENERIC_PREFIX))


def index_models(collection: str) -> list[IndexModel]:
    return [IndexModel([(key, ASCENDING) for key in keys]) for keys in index_keys(collection)]


@cache
def _generic(resource_type: str) -> tuple[Keys, ...]:
    """What searches of every generic type read: `_lastUpdated`, `identifier` (system with
    value, in one element) and `patient`, where R4 defines them for the type."""
    parameters = parameters_of(resource_type)
    keys: list[Keys] = [("last_updated",)]
    identifier = parameters.get("identifier")
    for path in identifier.paths if identifier else ():
        keys.append((f"{dotted(path)}.system", f"{dotted(path)}.value"))
    if "patient" in parameters:
        keys.append((parameters["patient"].index_field,))
    return tuple(keys)
