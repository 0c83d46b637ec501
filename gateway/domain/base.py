"""The shape every stored record shares.

A record holds the FHIR elements the domain models as typed fields under domain names (the FHIR
name is the field's alias), everything else verbatim in `fhir_rest`, and derived views: domain
facts computed from those elements at write time (a lab flag, a wearable's source), stored so the
domain can query them, and never turned back into FHIR.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from gateway.domain.elements import Period, Reference
from gateway.domain.time import FhirDateTime

Json = dict[str, Any]


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
    """Base of the stored shapes (see the module docstring)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    derived_fields: ClassVar[frozenset[str]] = frozenset()

    fhir_rest: Json = Field(default_factory=dict)


def patient_id_of(reference: Reference | None) -> str | None:
    """The Patient id a subject reference points at, if it is a `Patient/id` reference."""
    target = reference.target() if reference else None
    return target[1] if target and target[0] == "Patient" else None


def reference_id_of(reference: Reference | None, resource_type: str) -> str | None:
    target = reference.target() if reference else None
    return target[1] if target and target[0] == resource_type else None
