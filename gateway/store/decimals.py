"""Decimals on MongoDB: an ExactDecimal (gateway.jsonio) is stored as a Decimal128 of its text.

BSON would store an ExactDecimal as a double, losing its text, and pymongo lets no TypeEncoder
change how a float subclass is encoded. So a document bound for MongoDB carries each one as a
Decimal128, which keeps its digits and exponent (`1.50`; `1e-400` reads back as `1E-400`, the
same decimal) and which MongoDB compares numerically with doubles, so search still works; the
client reads them back as ExactDecimals (gateway.store.client.EXACT_DECIMALS). The embedded store keeps
Python objects as they are and needs neither.
"""

from __future__ import annotations

from typing import Any

from bson.decimal128 import Decimal128

from gateway.jsonio import ExactDecimal, holds_exact
from gateway.store.client import EXACT_DECIMALS
from gateway.store.collection import OwnedDocument


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
