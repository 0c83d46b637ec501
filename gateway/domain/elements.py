"""FHIR datatypes as the domain keeps them: typed where we read them, the rest carried along.

Each model names the sub-elements the gateway uses and allows any other (`extra="allow"`), so an
extension, an `_element` sibling or an element we don't model comes back unchanged.
https://hl7.org/fhir/R4/datatypes.html
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from gateway.domain.time import FhirDateTime
from gateway.jsonio import ExactNumber

Json = dict[str, Any]
CLINICIANS = ("Practitioner", "PractitionerRole")  # the resource types that name a clinician


class Element(BaseModel):
    """Base of the datatypes: unknown sub-elements are kept verbatim."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def extras(self) -> Json:
        return dict(self.__pydantic_extra__ or {})


class Coding(Element):
    system: str | None = None
    version: str | None = None
    code: str | None = None
    display: str | None = None
    userSelected: bool | None = None


class CodeableConcept(Element):
    coding: list[Coding] | None = None
    text: str | None = None

    def codes(self, system: str | None = None) -> list[str]:
        return [
            c.code
            for c in self.coding or []
            if c.code is not None and (system is None or c.system == system)
        ]

    def has_code(self, system: str, code: str) -> bool:
        return any(c.system == system and c.code == code for c in self.coding or [])

    def without(self, system: str, code: str) -> CodeableConcept:
        """A copy without that coding, to read what else the concept says."""
        kept = [c for c in self.coding or [] if not (c.system == system and c.code == code)]
        return self.model_copy(update={"coding": kept})

    def label(self) -> str | None:
        """The text a person would read: `text`, else the first display, else the first code."""
        if self.text:
            return self.text
        for coding in self.coding or []:
            if coding.display:
                return coding.display
        codes = self.codes()
        return codes[0] if codes else None


class Quantity(Element):
    value: ExactNumber | None = None
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
    reference: str | None = None
    type: str | None = None
    identifier: Identifier | None = None
    display: str | None = None

    def target(self) -> tuple[str, str] | None:
        """(type, id) of a relative or absolute `Type/id` reference; None for others."""
        if not self.reference or self.reference.startswith(("#", "urn:")):
            return None
        parts = self.reference.split("/_history/")[0].rstrip("/").split("/")
        if len(parts) < 2:
            return None
        return parts[-2], parts[-1]

    def points_to(self, *resource_types: str) -> bool:
        """Whether it refers to one of `resource_types`, by its URL, else by its `type` element.

        Reads the URL with `target()`, so absolute and versioned references count too.
        """
        target = self.target()
        return (target[0] if target else self.type) in resource_types

    def label(self) -> str | None:
        """What a person would read: `display`, else the `reference` itself."""
        return self.display or self.reference


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
    postalCode: str | None = None
    country: str | None = None
    period: Period | None = None


class Annotation(Element):
    text: str | None = None
