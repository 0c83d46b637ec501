"""What a re-sent row no longer makes: the stored resources carrying its identifier that the
request does not write, deleted in the request's transaction (gateway.services.apps.ingest).

A row is the app's statement of truth (issue 12): sent again with less in it (a vitals sample
without its heart rate, a patient whose insurance was cleared), it must not leave what it made
before behind, or reading the patient back shows the old values. Whose a resource is, is what
its identifier says (https://hl7.org/fhir/R4/datatypes.html#Identifier: `system` + `value`
name one thing), so a resource written as plain FHIR by someone else with a row's identifier is
the row's too and goes with it.

Cost: one query per type the store holds anything of (Storage.holding reads metadata only),
with all of the request's identifiers in it, each entity system's values as one `$in`
(gateway.search.token.codes_by_system), which the identifier index every collection has
serves (gateway.store.indexes). Types without an R4 `identifier` search parameter (no adapter
makes them: AdverseEvent, BiologicallyDerivedProduct, CatalogEntry, ObservationDefinition) are
not asked, as nothing indexes their identifiers.
"""

from __future__ import annotations

from gateway.search.model import Clause
from gateway.search.parameters import parameters_of
from gateway.search.token import codes_by_system
from gateway.services.context import Services
from gateway.services.generic import kept_types
from mappers.apps.ingest import Mapped, Records

Ref = tuple[str, str]  # (resource type, id)
ID_ORDER = (("_id", 1),)


async def stale_resources(services: Services, records: Records, mapped: Mapped) -> list[Ref]:
    """The stored resources that carry the identifier of a row in `records` and are not among
    the resources the request writes, by type (in `kept_types` order) and id.

    Not among any row's resources, not only the row's own: a resource this request PUTs stays
    (a transaction may not both write and delete it, http.html#trules).
    """
    sent = sent_identifiers(records)
    if not sent:
        return []
    written = {(r["resourceType"], r["id"]) for r in mapped.resources}
    stale: list[Ref] = []
    for resource_type in await services.storage.holding(kept_types()):
        if "identifier" not in parameters_of(resource_type):
            continue  # asked only of the types held: a type's parameters are derived on need
        query = carrying(resource_type, sent)
        ids = await services.store(resource_type).ids(query, sort=ID_ORDER)
        stale += [(resource_type, i) for i in ids if (resource_type, i) not in written]
    return stale


def sent_identifiers(records: Records) -> dict[str, list[str]]:
    """Identifier system (one per entity) -> the native ids of the request's mapped rows."""
    sent: dict[str, list[str]] = {}
    for rows in records.rows.values():
        for row in rows:
            sent.setdefault(row.identity.system, []).append(row.identity.native_id)
    return sent


def carrying(resource_type: str, sent: dict[str, list[str]]) -> Clause:
    """The filter for resources of `resource_type` carrying any of the `sent` identifiers."""
    return codes_by_system(parameters_of(resource_type)["identifier"], sent)
