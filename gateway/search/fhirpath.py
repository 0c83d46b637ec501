"""R4 search parameter expressions (FHIRPath) -> extractors, compiled once at start.

https://hl7.org/fhir/R4/searchparameter.html#expression. An R4 expression is usually a union
across types (`AllergyIntolerance.patient | CarePlan.subject.where(resolve() is Patient) | ...`);
compiled for one type, it keeps the branches rooted at that type (or at `Resource` /
`DomainResource`) and evaluates them as FHIRPath would, without an interpreter at run time.
What it supports: member paths through choice elements (`Condition.onset` yields each `onset*`
present, with its own type), `|`, parentheses, `as T` / `.as(T)` / `.ofType(T)` / `is`,
`.where(...)` with `=`, `!=`, `and`, `or`, `resolve() is T` (see `fhirpath_references`),
`extension('url')`, `exists()`, `empty()`, `not()`, `first()`, `[n]`, `%resource`.
Anything else is an UnsupportedExpression with its reason, so a parameter is never served
with values a FHIRPath engine would not give.

Where R4's expressions and strict FHIRPath part, the gateway takes what R4 means:
- `x as T` on several values filters them, as `ofType(T)` does (`(Observation.component.value
  as Quantity)` with two components; N1 calls that an error, and fhirpathpy raises);
- an unqualified System type name is the FHIR primitive (`value.as(DateTime)` in R4's
  `code-value-date` is `valueDateTime`); `as T` also keeps types derived from T (`Age` for
  `Quantity`, `code` for `string`), as FHIR's type hierarchy has it;
- Patient's `deceased` (`Patient.deceased.exists() and Patient.deceased != false`) yields one
  boolean: true for `deceasedBoolean: true` or any `deceasedDateTime`, false otherwise (also
  when absent, so `:missing` never holds for it);
- Bundle's `composition` and `message` (`Bundle.entry[0].resource`) yield the first entry's
  resource itself, typed by its `resourceType`: a reference parameter whose value is no
  Reference, which the indexer decides how to serve.
Primitive extensions (`_birthDate`) are not navigated: search reads values, and a primitive
known only by its extensions has none. A value of the wrong JSON shape (a string where an object
belongs) is skipped, never an error: extractors run on every write.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from gateway.jsonio import Json
from gateway.search.fhirpath_compile import compile_node
from gateway.search.fhirpath_errors import UnsupportedExpression
from gateway.search.fhirpath_parse import Node, parse
from gateway.search.fhirpath_steps import Compiled, Scope
from gateway.search.fhirpath_types import is_resource_type
from gateway.search.fhirpath_values import Element

__all__ = [
    "ComponentExtractor",
    "Element",
    "Extractor",
    "UnsupportedExpression",
    "compile_component",
    "compile_expression",
]

# Applied to a resource's FHIR JSON (camelCase, as stored in `fhir_rest`; `resourceType` and
# `id` may be absent).
Extractor = Callable[[Json], list[Element]]
# Applied to one value of a composite parameter's expression, within its resource.
ComponentExtractor = Callable[[Element, Json], list[Element]]


def compile_expression(resource_type: str, expression: str) -> Extractor:
    """The extractor of the branches of `expression` that apply to `resource_type`.

    Raises:
        UnsupportedExpression: no branch applies, or one cannot be evaluated exactly.
    """
    compiled = _compiled(resource_type, expression)
    step = compiled.step

    def extract(resource: Json) -> list[Element]:
        return step([(resource, resource_type)], resource)

    return extract


def compile_component(
    resource_type: str, composite_expression: str, component_expression: str
) -> ComponentExtractor:
    """The extractor of a composite's component (`value.as(Quantity)`), relative to one value
    of the composite's own expression (`Observation.component`) in a `resource_type`.

    Raises:
        UnsupportedExpression: as `compile_expression`, for either expression.
    """
    focus = _compiled(resource_type, composite_expression).types
    compiled = compile_node(_parsed(component_expression), Scope(resource_type, focus))
    step = compiled.step

    def extract(element: Element, resource: Json) -> list[Element]:
        return step([element], resource)

    return extract


def _compiled(resource_type: str, expression: str) -> Compiled:
    if not is_resource_type(resource_type):
        raise UnsupportedExpression(f"`{resource_type}` is not an R4 resource type")
    scope = Scope(resource_type, frozenset({resource_type}))
    compiled = compile_node(_parsed(expression), scope)
    if not compiled.applies:
        raise UnsupportedExpression(f"`{expression}` has no branch for {resource_type}")
    return compiled


@cache
def _parsed(expression: str) -> Node:
    """One parse per expression text: R4 shares one expression among dozens of types."""
    return parse(expression)
