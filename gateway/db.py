"""The one place a MongoDB client is built: Motor for `MONGODB_URI`, mongomock-motor when unset.

MongoDB has deprecated Motor; keeping construction here keeps a later move to PyMongo's async
client to one function.
"""

from __future__ import annotations

import logging
from typing import Any

from bson.codec_options import TypeDecoder, TypeRegistry
from bson.decimal128 import Decimal128

from gateway.jsonio import ExactDecimal, holds_exact
from gateway.settings import Settings

log = logging.getLogger(__name__)


class OwnedDocument(dict[str, Any]):
    """A document built for one insert and not touched by its writer afterwards, sharing no
    container with anything else, its datetimes naive UTC at millisecond precision.

    The embedded store keeps such a document as it is instead of deep-copying it, as mongomock
    does with every insert to protect callers that go on mutating; MongoDB stores bytes and
    needs no such promise.
    """


def make_client(settings: Settings) -> Any:
    """A Motor-compatible client. Without `MONGODB_URI` it is in-process and ephemeral."""
    if settings.mongodb_uri:
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(
            settings.mongodb_uri,
            tz_aware=False,
            uuidRepresentation="standard",
            type_registry=EXACT_DECIMALS,
        )
    from gateway.embedded import embedded_client

    log.warning(
        "MONGODB_URI is not set: using the embedded in-process store. "
        "It is ephemeral (lost at exit) and meant for trying the gateway and for tests."
    )
    return embedded_client()


# Decimals on MongoDB. BSON would store an ExactDecimal (gateway.jsonio) as a double, losing its
# text, and pymongo lets no TypeEncoder change how a float subclass is encoded. So documents
# bound for MongoDB carry each one as a Decimal128 of its text (`bson_numbers`), which keeps its
# digits and exponent (`1.50`; `1e-400` reads back as `1E-400`, the same decimal) and which
# MongoDB compares numerically with doubles, so search still works; the client reads them back
# as ExactDecimals. The embedded store keeps Python objects as they are and needs neither.


class _ExactDecimalDecoder(TypeDecoder):
    bson_type = Decimal128

    def transform_bson(self, value: Any) -> Any:
        number = value.to_decimal()
        return ExactDecimal(str(number)) if number.is_finite() else float(number)


EXACT_DECIMALS = TypeRegistry([_ExactDecimalDecoder()])


def reads_exact_decimals(collection: Any) -> bool:
    """Whether `collection` reads Decimal128 back as ExactDecimal: MongoDB's, from `make_client`."""
    options = getattr(collection, "codec_options", None)
    return options is not None and options.type_registry == EXACT_DECIMALS


def bson_numbers(document: OwnedDocument) -> OwnedDocument:
    """`document` with each ExactDecimal as a Decimal128 (a double where Decimal128 cannot hold
    it: more than 34 digits, an exponent beyond ±6143); `document` itself when it has none."""
    if not holds_exact(document):
        return document
    return OwnedDocument(_converted(document))


def _converted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _converted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_converted(item) for item in value]
    if isinstance(value, ExactDecimal):
        try:
            return Decimal128(value.text)
        except ArithmeticError:  # decimal.Inexact, decimal.Overflow
            return float(value)
    return value
