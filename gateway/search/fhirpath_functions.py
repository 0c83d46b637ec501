"""The argument-free FHIRPath functions the compiler supports, on whole collections.

http://hl7.org/fhirpath/N1/#existence and #subsetting. Functions with arguments (`where`,
`exists(criterion)`, `as`, `ofType`, `is`, `extension`) need the compiler and live there.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.search.fhirpath_values import Element, as_boolean, boolean

_BOOLEAN = frozenset({"boolean"})


def _not(collection: list[Element]) -> list[Element]:
    value = as_boolean(collection)
    return [] if value is None else boolean(not value)


def _has_value(collection: list[Element]) -> list[Element]:
    """True for one primitive value: the JSON holds no primitive without its value."""
    return boolean(len(collection) == 1 and not isinstance(collection[0][0], dict | list))


# name -> (the function on the focus collection, its result types; None: the focus's types)
FUNCTIONS: dict[str, tuple[Callable[[list[Element]], list[Element]], frozenset[str] | None]] = {
    "exists": (lambda collection: boolean(bool(collection)), _BOOLEAN),
    "empty": (lambda collection: boolean(not collection), _BOOLEAN),
    "not": (_not, _BOOLEAN),
    "hasValue": (_has_value, _BOOLEAN),
    "first": (lambda collection: collection[:1], None),
    "last": (lambda collection: collection[-1:], None),
    "tail": (lambda collection: collection[1:], None),
    "single": (lambda collection: collection if len(collection) == 1 else [], None),
}
