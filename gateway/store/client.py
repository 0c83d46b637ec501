"""The one place a MongoDB client is built: Motor for `MONGODB_URI`, mongomock-motor when unset.

MongoDB has deprecated Motor; keeping construction here keeps a later move to PyMongo's async
client to one function.
"""

from __future__ import annotations

import logging
from typing import Any

from bson.codec_options import TypeDecoder, TypeRegistry
from bson.decimal128 import Decimal128

from gateway.jsonio import ExactDecimal
from gateway.metrics import store_error_counter
from gateway.settings import Settings
from gateway.store.failures import FailedCommands

log = logging.getLogger(__name__)


def make_client(settings: Settings) -> Any:
    """A Motor-compatible client. Without `MONGODB_URI` it is in-process and ephemeral."""
    if settings.mongodb_uri:
        from motor.motor_asyncio import AsyncIOMotorClient

        count = store_error_counter()  # the serving app's metrics (gateway.metrics), if any
        return AsyncIOMotorClient(
            settings.mongodb_uri,
            tz_aware=False,
            uuidRepresentation="standard",
            type_registry=EXACT_DECIMALS,
            event_listeners=[FailedCommands(count)] if count is not None else [],
        )
    from gateway.store.embedded import embedded_client

    log.warning(
        "MONGODB_URI is not set: using the embedded in-process store. "
        "It is ephemeral (lost at exit) and meant for trying the gateway and for tests."
    )
    return embedded_client()


# MongoDB holds an ExactDecimal as a Decimal128 (gateway.store.decimals): read back as one.


class _ExactDecimalDecoder(TypeDecoder):
    bson_type = Decimal128

    def transform_bson(self, value: Any) -> Any:
        number = value.to_decimal()
        return ExactDecimal(str(number)) if number.is_finite() else float(number)


EXACT_DECIMALS = TypeRegistry([_ExactDecimalDecoder()])
