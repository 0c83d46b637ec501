"""The one place a MongoDB client is built: Motor for `MONGODB_URI`, mongomock-motor when unset.

MongoDB has deprecated Motor; keeping construction here keeps a later move to PyMongo's async
client to one function.
"""

from __future__ import annotations

import logging
from typing import Any

from gateway.settings import Settings

log = logging.getLogger(__name__)


def make_client(settings: Settings) -> Any:
    """A Motor-compatible client. Without `MONGODB_URI` it is in-process and ephemeral."""
    if settings.mongodb_uri:
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(
            settings.mongodb_uri, tz_aware=False, uuidRepresentation="standard"
        )
    from gateway.embedded import embedded_client

    log.warning(
        "MONGODB_URI is not set: using the embedded in-process store. "
        "It is ephemeral (lost at exit) and meant for trying the gateway and for tests."
    )
    return embedded_client()
