"""The compiled form of a StructureDefinition snapshot: one `ElementRule` per element definition.

https://hl7.org/fhir/R4/elementdefinition.html — everything the walk needs is precomputed here
(JSON names of choice types, arrays, fixed and pattern values, bindings, reference targets,
slices, constraints), so validating an instance never reads the StructureDefinition again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Json = dict[str, Any]
UNSET: Any = object()  # no fixed/pattern value (None could be a JSON null)
ConstraintCheck = Callable[
    [Any, str, Json, Json], bool
]  # (focus, its type, resource, root) -> holds

# Datatypes whose values are JSON scalars (https://hl7.org/fhir/R4/datatypes.html#primitive)
PRIMITIVES = frozenset(
    [
        "base64Binary",
        "boolean",
        "canonical",
        "code",
        "date",
        "dateTime",
        "decimal",
        "id",
        "instant",
        "integer",
        "markdown",
        "oid",
        "positiveInt",
        "string",
        "time",
        "unsignedInt",
        "uri",
        "url",
        "uuid",
        "xhtml",
    ]
)
SYSTEM_PREFIX = "http://hl7.org/fhirpath/System."


@dataclass(frozen=True, slots=True)
class Constraint:
    """An invariant (`ElementDefinition.constraint`), evaluated on each occurrence of its element."""

    key: str
    severity: Literal["error", "warning"]
    human: str
    expression: str
    check: ConstraintCheck | None  # None: the engine cannot evaluate it (reported once)
    needs_contained: bool = False  # dom-2..5 hold trivially on a resource without `contained`
    # None: reads its focus only; else whether an occurrence reads more (%resource, resolve(),
    # now(): the memo of `clean` must not skip it), asked of the focus
    contextual: Callable[[Any], bool] | None = None


@dataclass(frozen=True, slots=True)
class Discriminator:
    """`ElementDefinition.slicing.discriminator`: how an item is told to belong to a slice."""

    type: str  # value | pattern | type | exists | profile
    path: tuple[str, ...]  # `$this` -> ()


@dataclass(slots=True)
class ElementRule:
    """One element definition of a snapshot, with its children and slices attached.

    `children` holds the elements the snapshot defines below this one; an element the profile
    does not constrain inside (say `Observation.code`) has none, and the walk takes the rules of
    its datatype from that type's base StructureDefinition.
    """

    id: str  # the element id as issues name it (see compile._shown_id)
    path: str
    name: str  # last path segment: `status`, `value[x]`
    min: int
    max: int | None  # None: `*`
    array: bool  # the JSON form is an array (the base definition's max is not 1)
    types: tuple[str, ...]  # type codes, `System.String` and friends mapped to `string`
    json_types: dict[str, str]  # JSON key -> type code: `valueQuantity` -> `Quantity`
    fixed: Any = UNSET
    pattern: Any = UNSET
    binding: tuple[Literal["required", "extensible"], str] | None = None
    targets: frozenset[str] | None = None  # Reference target types; None: any
    # `type.profile` by type code (extension definitions, datatype profiles such as SimpleQuantity)
    type_profiles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()
    ele1: bool = False  # "has a value or children", checked natively
    ext1: bool = False  # "extension or value[x], not both", checked natively
    content: ElementRule | None = None  # `contentReference`: the element whose children apply
    children: dict[str, ElementRule] = field(default_factory=dict)
    discriminators: tuple[Discriminator, ...] = ()
    closed: bool = False
    slice_name: str | None = None
    slices: list[ElementRule] = field(default_factory=list)
    type_slices: dict[str, ElementRule] = field(default_factory=dict)  # `value[x]:valueQuantity`
    keys: dict[str, tuple[ElementRule, str]] = field(default_factory=dict)  # JSON key -> child
    required: tuple[ElementRule, ...] = ()  # children with min > 0 or a slice with min > 0
    inert: bool = False  # a primitive with no fixed, pattern, binding or constraint to check
    single: bool = False  # not an array, unsliced, one occurrence allowed: see `Walk.members`
    selector: bool = False  # fixed/pattern somewhere below or a required slice (see `selects`)
    # each slice with what it fixes at each discriminator path: (path, "fixed" | "pattern", value)
    matchers: tuple[tuple[ElementRule, tuple[tuple[tuple[str, ...], str, Any], ...]], ...] = ()
    unsupported_slicing: str = ""  # why the slices cannot be told apart here ("" if they can)
    merged: dict[str, tuple[Constraint, ...]] = field(default_factory=dict)  # by type, see walk

    @property
    def sliced(self) -> bool:
        return bool(self.slices)
