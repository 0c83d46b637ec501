"""gateway.store.indexes: the one table names fields stored documents have, and its indexes
exist once the store is open (domain collections, history) or written (generic ones)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.jsonio import Json
from gateway.search.index import values_at
from gateway.search.parameters import parameters_of
from gateway.services import resources
from gateway.services.context import Services, open_services
from gateway.services.demo_load import load_generated
from gateway.store.collection import Document
from gateway.store.indexes import (
    CLAIMS,
    DOMAIN_COLLECTIONS,
    HISTORY,
    collection_name,
    index_keys,
    parameter_keys,
)
from gateway.store.storage import Storage
from tests.conftest import make_settings

IDENTIFIER = {"system": "http://clinic.example/ids", "value": "x-1"}
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
# The demo carries no identifier on these types, no patient link, and no type kept whole: the
# same resources with one, a linked patient and two generic types (one with a `patient`
# parameter) complete the population.
SUPPLEMENT: list[Json] = [
    {
        "resourceType": "Condition",
        "id": "c-1",
        "identifier": [IDENTIFIER],
        "subject": {"reference": "Patient/demo-patient-1"},
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "195967001"}],
            "text": "Asthma",
        },
        "onsetDateTime": "2019-04-02",
        "asserter": {"reference": "Patient/demo-patient-1"},  # in the Patient compartment by it
    },
    {"resourceType": "Practitioner", "id": "pr-1", "identifier": [IDENTIFIER]},
    {  # a Patient is in the compartment of the patients it links to
        "resourceType": "Patient",
        "id": "p-linked",
        "link": [{"other": {"reference": "Patient/demo-patient-1"}, "type": "seealso"}],
    },
]


@pytest.fixture
async def populated() -> AsyncIterator[Services]:
    """The demo data, the supplement, and one update (so `history` holds a version)."""
    services = await open_services(make_settings())
    await load_generated(services)
    for resource_type in ("Observation", "Encounter", "MedicationStatement"):
        store = services.store(resource_type)
        [first] = await store.fetch({}, sort=[("_id", 1)], limit=1)
        resource = copy.deepcopy(store.to_version(first).resource or {})
        extra: Json = {"identifier": [IDENTIFIER]}
        if resource_type == "Observation":  # a patient recording their own: the compartment
            extra["performer"] = [resource["subject"]]
        await resources.update(store, first["_id"], {**resource, **extra})
    for resource in SUPPLEMENT:
        await resources.update(services.store(resource["resourceType"]), resource["id"], resource)
    yield services
    services.close()


async def _documents(storage: Storage, collection: str) -> list[Document]:
    return await storage.database[collection].find({}).to_list(None)


def _stored_collections(storage: Storage) -> list[str]:
    return [HISTORY, *(store.name for store in storage.stores.values())]


async def test_every_indexed_field_is_one_stored_documents_have(populated: Services) -> None:
    storage = populated.storage
    collections = _stored_collections(storage)
    assert {"generic_Condition", "generic_Practitioner", *DOMAIN_COLLECTIONS.values()} <= set(
        collections
    )
    for collection in collections:
        documents = await _documents(storage, collection)
        for keys in index_keys(collection):
            for key in keys:
                assert any(next(values_at(d, key), None) is not None for d in documents), (
                    collection,
                    key,
                )


def _outer_array(document: Any, path: str) -> str | None:
    """The first array on `path` in `document` (its dotted prefix), if any."""
    value, walked = document, []
    for part in path.split("."):
        if isinstance(value, list):
            return ".".join(walked)
        if not isinstance(value, dict):
            return None
        value, walked = value.get(part), [*walked, part]
    return ".".join(walked) if isinstance(value, list) else None


async def test_no_compound_index_spans_two_arrays_of_a_stored_document(
    populated: Services,
) -> None:
    """MongoDB refuses to index a document whose compound index key runs through two different
    arrays ("parallel arrays"); fields under one array (`identifiers.system`/`.value`) may."""
    storage = populated.storage
    for collection in _stored_collections(storage):
        documents = await _documents(storage, collection)
        for keys in index_keys(collection):
            for document in documents:
                arrays = {_outer_array(document, key) for key in keys} - {None}
                assert len(arrays) <= 1, (collection, keys, document["_id"], arrays)


async def test_the_declared_indexes_exist_once_the_store_is_open() -> None:
    services = await open_services(make_settings())
    storage = services.storage
    try:
        for collection in [*DOMAIN_COLLECTIONS.values(), HISTORY]:
            information = await storage.database[collection].index_information()
            found = {tuple(key for key, _ in index["key"]) for index in information.values()}
            assert found == {("_id",), *index_keys(collection)}, collection
        assert "generic_Condition" not in await storage.database.list_collection_names()
        await resources.update(services.store("Condition"), "c-1", SUPPLEMENT[0])
        information = await storage.database["generic_Condition"].index_information()
        found = {tuple(key for key, _ in index["key"]) for index in information.values()}
        assert found == {("_id",), *index_keys("generic_Condition")}
        assert any(keys[0] == "index.patient" for keys in found)
    finally:
        services.close()


def test_a_generic_collections_indexes_follow_its_search_parameters() -> None:
    assert "patient" not in parameters_of("Practitioner")
    identifier = parameter_keys(parameters_of("Practitioner")["identifier"])
    assert identifier[0].endswith((".value", ".code"))  # `identifier=v` alone is served too
    assert index_keys("generic_Practitioner") == (("last_updated", "_id"), identifier)
    assert collection_name("Observation") == "observations"
    assert collection_name("Condition") == "generic_Condition"
    assert index_keys(CLAIMS) == ()
    with pytest.raises(KeyError):
        index_keys("nothing")


ARRAY_PATHS = (
    "code.coding",
    "types.coding",
    "categories.coding",
    "identifiers",
    "telecom",
    "medication_concept.coding",
)


def _array_of(key: str, singles: set[str]) -> str | None:
    """The array a key runs through, if any (keys under one array may share an index)."""
    if key.startswith("index."):
        field = key.removesuffix(".start").removesuffix(".end")
        return None if field in singles else field
    return next((path for path in ARRAY_PATHS if key.startswith(path)), None)


@pytest.mark.parametrize("resource_type", sorted(DOMAIN_COLLECTIONS))
def test_declared_compound_indexes_combine_at_most_one_array_field(resource_type: str) -> None:
    """The same rule over every shape the records allow, not only the demo's."""
    singles = {f"index.{c}" for c, p in parameters_of(resource_type).items() if p.single}
    for keys in index_keys(collection_name(resource_type)):
        arrays = {_array_of(key, singles) for key in keys} - {None}
        assert len(arrays) <= 1, (resource_type, keys)
