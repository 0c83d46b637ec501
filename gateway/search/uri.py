"""URI search: one value -> one MongoDB clause. https://hl7.org/fhir/R4/search.html#uri

A uri matches exactly (no case folding: URIs are case-sensitive). `:below` matches stored URIs
that start with the value; `:above` stored URIs the value starts with, cut at `/` boundaries,
so `url:above=http://acme.org/fhir/ValueSet/123` finds `http://acme.org/fhir`.
"""

from __future__ import annotations

import re

from gateway.errors import InvalidSearch
from gateway.search.escaping import unescape
from gateway.search.model import Clause, SearchParameter
from gateway.search.paths import any_of, dotted


def clause(param: SearchParameter, modifier: str | None, value: str) -> Clause:
    uri = unescape(value)
    if not uri:
        raise InvalidSearch(f"Parameter `{param.code}` needs a URI.", expression=param.code)
    condition: object
    if modifier is None:
        condition = uri
    elif modifier == "below":
        condition = {"$regex": "^" + re.escape(uri)}
    elif modifier == "above":
        condition = {"$in": prefixes(uri)}
    else:
        raise InvalidSearch(
            f"Modifier `:{modifier}` is not supported for parameter `{param.code}`.",
            expression=param.code,
        )
    return any_of([{dotted(path): condition} for path in param.paths])


def prefixes(uri: str) -> list[str]:
    """`uri` and its ancestors at `/` boundaries, each with and without a trailing `/`.

    Never shorter than `scheme://authority`: `http:` is no ancestor of a URL worth matching.
    """
    parts = uri.rstrip("/").split("/")
    first = min(3 if "://" in uri else 1, len(parts))  # ["http:", "", "acme.org"]: the shortest
    ancestors = ["/".join(parts[:end]) for end in range(first, len(parts))]
    found = [text for ancestor in ancestors for text in (ancestor, ancestor + "/")]
    return [text for text in dict.fromkeys([*found, "/".join(parts), uri]) if text]
