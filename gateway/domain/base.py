"""The shape every stored record shares, and the marker of derived views.

A record holds what a health app records under the domain's own names (snake_case at every
level), whatever of the resource the domain does not model verbatim in `fhir_rest`, and derived
views: facts computed from the rest at write time (a lab flag, a wearable's source), stored so
that the domain can query them. A view is marked by its type (`Derived[...]`), so that whoever
reads or writes the record's other fields can tell the two apart without a list to keep.
docs/storage.md describes the stored documents these records become.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from gateway.domain.elements import Period
from gateway.domain.time import FhirDateTime
from gateway.jsonio import Json

T = TypeVar("T")


class DerivedView:
    """Field metadata: the field is computed from the record's other fields, never received."""

    def __repr__(self) -> str:
        return "DERIVED"


DERIVED = DerivedView()
Derived = Annotated[T, DERIVED]
"""`flag: Derived[Flag | None] = None` declares a derived view."""


def derived_fields(model: type[BaseModel]) -> frozenset[str]:
    """The names of `model`'s fields marked `Derived`."""
    return frozenset(
        name for name, field in model.model_fields.items() if DERIVED in field.metadata
    )


class TimeRange(BaseModel):
    """The UTC interval [start, end) a date, dateTime, instant or Period covers; None is open."""

    model_config = ConfigDict(frozen=True)

    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def of(cls, moment: FhirDateTime | Period | None) -> TimeRange | None:
        """Built without validation: the bounds come from already validated values."""
        if moment is None:
            return None
        if isinstance(moment, FhirDateTime):
            return cls.model_construct(start=moment.start, end=moment.end)
        if moment.start is None and moment.end is None:
            return None
        return cls.model_construct(
            start=moment.start.start if moment.start else None,
            end=moment.end.end if moment.end else None,
        )


class FhirRecord(BaseModel):
    """Base of the stored records (see the module docstring). Unknown keys are ignored, so a
    stored document, with its service fields and search index beside, reads as its record."""

    model_config = ConfigDict(extra="ignore")

    fhir_rest: Json = Field(default_factory=dict)
