"""Canonical quantities on MongoDB: stored as Decimal128, and a quantity search's bounds sent as
Decimal128 too, so that a value on a boundary compares exactly (docs/units.md).

A double `310.15` is 310.149999999999977..., below the Decimal128 310.15 that 98.6 [degF] is
stored as: `le37|…|Cel` would miss it on MongoDB if its bound travelled as a double.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import bson
from bson.decimal128 import Decimal128

from gateway.search import quantity
from gateway.search.model import SearchParameter
from gateway.store.embedded import embedded_client
from gateway.store.history import HistoryStore
from gateway.store.repository import ResourceStore
from mappers.registry import MAPPERS
from tests.store.test_decimals import READ_BACK

UCUM = "http://unitsofmeasure.org"
COMBO = SearchParameter(
    "combo-value-quantity",
    "quantity",
    ("Observation",),
    ("value_quantity", "components[].value_quantity"),
)
TEMPERATURE = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"text": "Body temperature"},
    "valueQuantity": {"value": 98.6, "unit": "degF", "system": UCUM, "code": "[degF]"},
}


class Collection:
    """A MongoDB collection as far as these calls go: what it is given, as BSON."""

    codec_options = READ_BACK

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.queries: list[bytes] = []

    async def insert_one(self, document: dict[str, Any], **options: Any) -> None:
        self.written.append(bson.encode(document))

    async def count_documents(self, query: dict[str, Any], **options: Any) -> int:
        self.queries.append(bson.encode(query))
        return 0


def mongodb_store() -> tuple[ResourceStore, Collection]:
    collection = Collection()
    return ResourceStore(MAPPERS["Observation"], collection, HistoryStore(Collection())), collection


async def test_the_canonical_value_is_stored_as_decimal128() -> None:
    store, collection = mongodb_store()
    record = MAPPERS["Observation"].from_fhir(TEMPERATURE)
    await store.write(
        record, TEMPERATURE, resource_id="o1", version_id=1, updated=datetime(2026, 1, 1),
        previous=None, method="POST",
    )  # fmt: skip

    stored = bson.decode(collection.written[0])["value_quantity"]

    assert (stored["value"], stored["canonical"]) == (
        98.6,
        {"value": Decimal128("310.15"), "code": "K"},
    )


async def test_canonical_bounds_are_sent_as_decimal128_at_any_depth() -> None:
    store, collection = mongodb_store()

    await store.count(quantity.clause(COMBO, f"le37|{UCUM}|Cel"))

    sent = bson.decode(collection.queries[0])
    on_value, as_recorded, in_component, _ = sent["$or"]
    assert on_value["value_quantity.canonical.value"] == {"$lte": Decimal128("310.15")}
    assert in_component["components"]["$elemMatch"]["value_quantity.canonical.value"] == {
        "$lte": Decimal128("310.15")
    }
    assert as_recorded["value_quantity.value"] == {"$lte": 37.0}  # number search: doubles


def test_the_embedded_store_takes_filters_as_they_are() -> None:
    collection = embedded_client()["fhir"]["observations"]
    store = ResourceStore(MAPPERS["Observation"], collection, HistoryStore(collection))
    query = quantity.clause(COMBO, f"le37|{UCUM}|Cel")

    assert store.storable_filter(query) is query
