"""gateway.store.decimals and gateway.store.client: on MongoDB, ExactDecimals travel as Decimal128 and
come back as ExactDecimals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import bson
import pytest
from bson.codec_options import CodecOptions
from bson.decimal128 import Decimal128

from gateway.jsonio import ExactDecimal, dumps
from gateway.store.client import EXACT_DECIMALS, make_client
from gateway.store.collection import OwnedDocument
from gateway.store.decimals import bson_numbers, reads_exact_decimals
from gateway.store.embedded import embedded_client
from gateway.store.history import HistoryStore
from gateway.store.repository import ResourceStore
from mappers.registry import MAPPERS
from tests.conftest import make_settings

READ_BACK = CodecOptions(type_registry=EXACT_DECIMALS)


def round_trip(document: OwnedDocument) -> dict[str, Any]:
    """What MongoDB would hand back: the document as BSON, decoded by the gateway's client."""
    return bson.decode(bson.encode(bson_numbers(document)), codec_options=READ_BACK)


@pytest.mark.parametrize(
    ("text", "served"),
    [
        pytest.param("1.50", "1.50", id="trailing-zero"),
        pytest.param("0.10", "0.10", id="leading-zero"),
        pytest.param("12345678901234567890.123", "12345678901234567890.123", id="many-digits"),
        pytest.param("123456789012345678901234567890", "123456789012345678901234567890", id="big-integer"),
        # Decimal128 keeps the digits and the exponent; it spells them its own way.
        pytest.param("1e-400", "1E-400", id="tiny"),
        pytest.param("1E5", "1E+5", id="exponent"),
    ],
)  # fmt: skip
def test_an_exact_decimal_comes_back_with_its_digits_and_exponent(text: str, served: str) -> None:
    stored = round_trip(OwnedDocument(value_quantity={"value": ExactDecimal(text)}))

    value = stored["value_quantity"]["value"]
    assert (type(value), value.text) == (ExactDecimal, served)
    assert Decimal(value.text).as_tuple() == Decimal(text).as_tuple()


def test_every_exact_decimal_is_converted_at_any_depth_and_nothing_else() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5)
    document = OwnedDocument(
        _id="o1",
        last_updated=when,
        components=[{"value_quantity": {"value": ExactDecimal("0.10"), "unit": "mg"}}],
        fhir_rest={"extension": [{"valueDecimal": ExactDecimal("1.50")}], "n": [2.5, 3]},
    )

    stored = bson_numbers(document)

    assert type(stored) is OwnedDocument
    assert stored == {
        "_id": "o1",
        "last_updated": when,
        "components": [{"value_quantity": {"value": Decimal128("0.10"), "unit": "mg"}}],
        "fhir_rest": {"extension": [{"valueDecimal": Decimal128("1.50")}], "n": [2.5, 3]},
    }
    assert dumps(document["fhir_rest"]) == b'{"extension":[{"valueDecimal":1.50}],"n":[2.5,3]}'


def test_a_document_without_exact_decimals_is_written_as_it_is() -> None:
    document = OwnedDocument(_id="o1", value_quantity={"value": 1.5}, n=[1, 2.5])

    assert bson_numbers(document) is document


@pytest.mark.parametrize("text", ["1" * 40, "1e99999", "1e-99999"])
def test_what_decimal128_cannot_hold_is_a_double(text: str) -> None:
    stored = round_trip(OwnedDocument(value=ExactDecimal(text)))

    assert stored == {"value": float(text)}


def test_a_decimal128_that_is_no_json_number_comes_back_as_a_float() -> None:
    raw = bson.encode({"nan": Decimal128("NaN"), "inf": Decimal128("-Infinity")})

    stored = bson.decode(raw, codec_options=READ_BACK)

    assert (stored["inf"], stored["nan"] != stored["nan"]) == (float("-inf"), True)


def test_only_mongodb_collections_read_decimal128_back() -> None:
    mongodb = make_client(make_settings(mongodb_uri="mongodb://localhost:1/"))  # never connects
    embedded = embedded_client()

    assert reads_exact_decimals(mongodb["fhir"]["observations"])
    assert not reads_exact_decimals(embedded["fhir"]["observations"])
    mongodb.close()


class Collection:
    """A MongoDB collection as far as the store's writes go: what it is given, as BSON."""

    codec_options = READ_BACK

    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def insert_one(self, document: dict[str, Any], **options: Any) -> None:
        self.written.append(bson.encode(document))

    async def insert_many(self, documents: list[dict[str, Any]], **options: Any) -> None:
        self.written += [bson.encode(document) for document in documents]


async def test_a_store_on_mongodb_writes_exact_decimals_as_decimal128() -> None:
    mapper, collection = MAPPERS["Observation"], Collection()
    store = ResourceStore(mapper, collection, HistoryStore(Collection()))
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "Creatinine"},
        "valueQuantity": {"value": ExactDecimal("1.50"), "unit": "mg/dL"},
    }
    record = mapper.from_fhir(resource)

    await store.write(
        record, resource, resource_id="o1", version_id=1, updated=datetime(2026, 1, 1),
        previous=None, method="POST",
    )  # fmt: skip
    await store.insert_many([store.document(record, "o2", 1, datetime(2026, 1, 1), "POST")])

    as_stored = [bson.decode(raw) for raw in collection.written]
    read_back = [store.to_version(bson.decode(raw, READ_BACK)) for raw in collection.written]
    assert [d["value_quantity"]["value"] for d in as_stored] == [Decimal128("1.50")] * 2
    assert [dumps(v.resource["valueQuantity"]) for v in read_back if v.resource] == [
        b'{"value":1.50,"unit":"mg/dL"}'
    ] * 2
