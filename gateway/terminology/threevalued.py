"""Kleene's three-valued logic: True, False, and None for "cannot tell".

Value set membership where part of a compose cannot be evaluated here (gateway.terminology
.compose): one True include is enough, one False part of an include rules it out.
"""

from __future__ import annotations

from collections.abc import Iterable


def any3(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for value in values:
        if value is True:
            return True
        unknown = unknown or value is None
    return None if unknown else False


def all3(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for value in values:
        if value is False:
            return False
        unknown = unknown or value is None
    return None if unknown else True


def not3(value: bool | None) -> bool | None:
    return None if value is None else not value
