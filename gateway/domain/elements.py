"""The structured values records are made of: codes, quantities, periods, names, references.

Plain models, snake_case like the records. Each also keeps, verbatim, whatever else it was given
(`extra="allow"`): the parts of a value the domain does not model (an extension on a code, the
metadata of a given name) come back unchanged. `Number` is the one type of every decimal the
domain holds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gateway.domain.time import FhirDateTime

Number = float | int
"""A decimal value (a measurement, a dose, a period length)."""


class Element(BaseModel):
    """Base of the structured values: what the model does not name is kept as given."""

    model_config = ConfigDict(extra="allow")


class Coding(Element):
    system: str | None = None
    version: str | None = None
    code: str | None = None
    display: str | None = None
    user_selected: bool | None = None


class CodeableConcept(Element):
    coding: list[Coding] | None = None
    text: str | None = None


class Quantity(Element):
    value: Number | None = None
    comparator: str | None = None
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class Range(Element):
    low: Quantity | None = None
    high: Quantity | None = None


class Ratio(Element):
    numerator: Quantity | None = None
    denominator: Quantity | None = None


class Period(Element):
    start: FhirDateTime | None = None
    end: FhirDateTime | None = None


class Identifier(Element):
    use: str | None = None
    type: CodeableConcept | None = None
    system: str | None = None
    value: str | None = None
    period: Period | None = None


class Reference(Element):
    """Who or what something points at: `reference` (`Type/id`, a URL, `#local`), its type,
    a business identifier, or only a name (`display`)."""

    reference: str | None = None
    type: str | None = None
    identifier: Identifier | None = None
    display: str | None = None


class HumanName(Element):
    use: str | None = None
    text: str | None = None
    family: str | None = None
    given: list[str | None] | None = None
    prefix: list[str | None] | None = None
    suffix: list[str | None] | None = None
    period: Period | None = None


class ContactPoint(Element):
    system: str | None = None
    value: str | None = None
    use: str | None = None
    rank: int | None = None
    period: Period | None = None


class Address(Element):
    use: str | None = None
    type: str | None = None
    text: str | None = None
    line: list[str | None] | None = None
    city: str | None = None
    district: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    period: Period | None = None
