"""String search: one value -> one MongoDB clause. https://hl7.org/fhir/R4/search.html#string

By default a field matches when it starts with the value, ignoring case and accents; `:contains`
matches anywhere in it; `:exact` matches the whole string, case and accents included. The first
two compare `normalise(value)` with the normalised strings the index keeps (`index.<code>`);
`:exact` compares the stored elements themselves. Client text reaches a regex only escaped.
"""

from __future__ import annotations

import re

from gateway.errors import InvalidSearch
from gateway.search.escaping import unescape
from gateway.search.model import Clause, SearchParameter
from gateway.search.normalise import normalise
from gateway.search.paths import any_of, dotted


def clause(param: SearchParameter, modifier: str | None, value: str) -> Clause:
    text = unescape(value)
    if modifier == "exact":
        return _exact(param, text)
    if modifier not in (None, "contains"):
        raise InvalidSearch(
            f"Modifier `:{modifier}` is not supported for parameter `{param.code}`.",
            expression=param.code,
        )
    normalised = normalise(text)
    if not normalised:
        raise _empty(param)
    anchor = "^" if modifier is None else ""
    return {param.index_field: {"$regex": anchor + re.escape(normalised)}}


def _exact(param: SearchParameter, text: str) -> Clause:
    if not text:
        raise _empty(param)
    return any_of([{dotted(path): text} for path in param.paths])


def _empty(param: SearchParameter) -> InvalidSearch:
    return InvalidSearch(
        f"Parameter `{param.code}` needs a value with some text.", expression=param.code
    )
