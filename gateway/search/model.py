"""The shapes FHIR search is built from: parameters, parsed parameters, clauses.

https://hl7.org/fhir/R4/search.html. A clause is a MongoDB filter document; every search
parameter type has one module (token, string, date, ...) that turns a parsed value into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Clause = dict[str, Any]
ParamType = Literal[
    "token", "string", "date", "reference", "quantity", "number", "composite", "uri", "special"
]  # fmt: skip
TokenKind = Literal[
    "codeable", "coding", "identifier", "contact", "code", "boolean", "id", "indexed"
]  # fmt: skip
NOTHING: Clause = {"_id": {"$in": []}}  # matches no document


@dataclass(frozen=True, slots=True)
class SearchParameter:
    """One search parameter of one or more resource types, defined once.

    `paths` are dotted paths in the stored document (domain field names, `fhir_rest.` for
    elements the domain does not model); `[]` after a segment marks an array whose *one*
    element must satisfy all conditions of a value (`code.coding[]`: system and code together).
    Date, string and reference parameters are matched against values the index computes at
    write time (`index.<code>`); token, quantity, number and uri against the paths directly.
    A `single` parameter's index value is one scalar, so compound MongoDB indexes may combine it
    with an array field (MongoDB allows one array per compound index key). An `indexed`
    parameter (every R4 parameter of the types kept whole) is matched only against the values a
    write computed from its FHIRPath expression: `index.<code>` in the layout of
    gateway.search.values (token kind `indexed`: entries `{system, code, display, type}`).
    """

    code: str
    type: ParamType
    resource_types: tuple[str, ...]
    paths: tuple[str, ...] = ()
    kind: TokenKind | None = None  # token: the shape of the element at each path
    system: str | None = None  # token kinds code/boolean/indexed: the implicit code system
    contact_system: str | None = None  # token kind contact: only ContactPoints of this system
    targets: tuple[str, ...] = ()  # reference: the resource types it may point to
    parts: tuple[SearchParameter, ...] = ()  # composite: the components, in order
    scope: str | None = None  # composite: array whose one element must match every part
    also_resource: bool = False  # composite: the resource itself may match too (combo-*)
    sort_path: str | None = None  # where the scalar to sort by is computed from
    single: bool = False  # the element is 0..1: its index value is a scalar, not a list
    point: bool = False  # date: an instant kept at `paths[0]` itself, not indexed as a range
    description: str = ""
    indexed: bool = False  # searched on `index.<code>` alone (types kept whole)
    allowed: tuple[str, ...] = ()  # token: the only codes a search may name (a boolean's)

    @property
    def index_field(self) -> str:
        return f"index.{self.code}"


@dataclass(frozen=True, slots=True)
class ParsedParameter:
    """One occurrence of a parameter in a query: `name[:modifier][.chain]=v1,v2` (OR of values)."""

    name: str
    values: tuple[str, ...]  # still escaped: each type module unescapes what it splits
    modifier: str | None = None
    chain: tuple[str, ...] = ()  # `patient.name` -> ("name",); the value belongs to the last
    raw_name: str = ""  # as the client wrote it, for links and messages
    has: tuple[
        str, ...
    ] = ()  # `_has:Observation:patient:code` -> ("Observation", "patient", "code")
    extra: dict[str, Any] = field(default_factory=dict)
