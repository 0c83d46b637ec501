"""The conformance resources `fhir_profiles/` holds, served read-only through the store API.

Issue 11: StructureDefinitions, ValueSets, CodeSystems and ConceptMaps are "loaded at start and
served read-only". Each of the four types gets a `ConformanceStore`: a `ResourceStore` over a
collection of an in-process embedded store, filled once per process with the held resources
(`fhir_profiles.canonical.held()`: R4's and the gateway package's), each at version 1, stored
as a write would store it (`shared_document`: the generic record's shape, indexed by the type's
`build_indexer`), so read, vread, instance and type history and every R4 search parameter of
these types (`url`, `name`, `version`, `status`, `system`...) with paging, `_summary` and
`_elements` work as for any type.

Lazy and shared: a type's store is built on its first use in the process (0.02-0.3 s a type,
plus 0.17 s to read `fhir_profiles` once), never at app start, and every app of the process
shares it. The gateway's database (MongoDB or not) holds none of them, so what walks the types
holding data (system history, `$export`, reindex, a system search without `_type`) passes
them by; a system search naming them in `_type` reads them (gateway.services.system_search).

Ids are the resources' own. Where two held resources of one type share an id, the gateway
package's keeps it and R4's is served as `<id>-r4` (the package comes first, then R4 in
`held()` order; a further clash adds `-2`, `-3`...). R4 4.0.1 has no clash within a type.

Every write method refuses with 405 (`refuse`): services, Bundles and the import all write
through a store, so this is the one check every write passes.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, NoReturn

from fhir_profiles.canonical import CONFORMANCE_TYPES, held, package_resources
from gateway.domain.time import parse_range
from gateway.errors import MethodNotAllowed
from gateway.jsonio import Json
from gateway.search.index import build_indexer
from gateway.store.collection import OwnedDocument
from gateway.store.history import HistoryStore
from gateway.store.indexes import collection_name
from gateway.store.refusing import WriteRefusingStore
from gateway.store.repository import Indexer
from mappers.generic import generic_mapper

__all__ = ["CONFORMANCE_TYPES", "ConformanceStore", "conformance_store", "refusal"]

# R4 4.0.1's own meta.lastUpdated (2019-11-01T09:29:23.356+11:00), naive UTC as stored: the
# held resources change only with a release of the gateway, never while it runs. The slimmed
# R4 resources carry no `date`; the package's do, and theirs is their lastUpdated (`changed`).
PUBLISHED = datetime(2019, 10, 31, 22, 29, 23, 356000)
DATABASE = "conformance"


def refusal(resource_type: str) -> MethodNotAllowed:
    """The answer to any write of a conformance type."""
    return MethodNotAllowed(
        f"`{resource_type}` resources are published read-only from `fhir_profiles/`; "
        "they cannot be created, updated or deleted here.",
        code="MSG_OP_NOT_ALLOWED",
    )


class ConformanceStore(WriteRefusingStore):
    """A read-only `ResourceStore`: reads and queries as any store, every write refused."""

    def refuse(self) -> NoReturn:
        raise refusal(self.resource_type)

    async def reindex(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.refuse()


@cache
def _database() -> Any:
    """The process's embedded database of conformance resources (never the gateway's own)."""
    from gateway.store.embedded import embedded_client

    return embedded_client()[DATABASE]


@cache
def conformance_store(resource_type: str) -> ConformanceStore:
    """The store of one of `CONFORMANCE_TYPES`, built and filled on first use."""
    database = _database()
    name = collection_name(resource_type)
    indexer = build_indexer(resource_type)
    mapper = generic_mapper(resource_type)
    documents = [
        shared_document(resource, resource_id, indexer)
        for resource_id, resource in served(resource_type)
    ]
    if documents:  # the embedded store's own (synchronous) collection: no event loop needed
        database.delegate[name].insert_many(documents)
    history = HistoryStore(database["history"])  # stays empty: one version each
    return ConformanceStore(mapper, database[name], history, indexer)


def shared_document(resource: Json, resource_id: str, indexer: Indexer) -> OwnedDocument:
    """The document a write of `resource` would store at version 1 (`stored_document`: the
    generic record keeps the resource less `resourceType` and `id` in `fhir_rest`; a test
    compares the two for every held resource), made without copying the resource: the record
    would deep-copy it (22 of the 39 MB the four types take), and the held resources are
    read-only, as the embedded store treats an OwnedDocument."""
    rest = {key: value for key, value in resource.items() if key not in ("resourceType", "id")}
    document = OwnedDocument(
        _id=resource_id,
        version_id=1,
        last_updated=changed(resource),
        written_by="PUT",
        fhir_rest=rest,
    )
    document.update(indexer(document))
    return document


def changed(resource: Json) -> datetime:
    """When the resource last changed: its `date` ("Date last changed", canonical resources
    in R4) where it has a valid one, else R4's publication."""
    date = resource.get("date")
    try:
        return parse_range(date)[0] if isinstance(date, str) else PUBLISHED
    except ValueError:
        return PUBLISHED


def served(resource_type: str) -> list[tuple[str, Json]]:
    """(id, resource) of every held resource of the type, the package's first, ids unique."""
    ours = {id(resource) for resource in package_resources()}
    resources = held().of_type(resource_type)
    ordered = [r for r in resources if id(r) in ours] + [r for r in resources if id(r) not in ours]
    taken: set[str] = set()
    result = []
    for resource in ordered:
        resource_id = _unique(_own_id(resource), taken, package=id(resource) in ours)
        taken.add(resource_id)
        result.append((resource_id, resource))
    return result


def _own_id(resource: Json) -> str:
    """The resource's id, or for one without, the last part of its canonical URL."""
    own = resource.get("id")
    return own if isinstance(own, str) and own else str(resource["url"]).rstrip("/").split("/")[-1]


def _unique(wanted: str, taken: set[str], *, package: bool) -> str:
    if wanted not in taken:
        return wanted
    candidate = wanted if package else f"{wanted}-r4"
    n = 2
    while candidate in taken:
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate
