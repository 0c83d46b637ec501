"""FHIR back out as native rows: what an adapter's `from_fhir` reads and returns.

The service gathers one patient's resources (the Patient, its compartment, and what those
reference, e.g. the Practitioner behind an Appointment) into a `FhirView`; the adapter returns
`Exported` rows, each naming the resources it was built from so the service can filter by
`since`. Resources that arrived as plain FHIR (an EHR's) have no identifier of the app: the
adapter maps them where they have a native home and names them by their FHIR id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pydantic import ValidationError

from gateway.jsonio import Json
from mappers.apps.native import SID, NativeRow

__all__ = ["Exported", "FhirView", "concept_text", "partial_row", "row_json"]


@dataclass(frozen=True, slots=True)
class Exported:
    entity: str
    row: NativeRow
    sources: tuple[str, ...]  # "Type/id" of every resource the row was built from


class FhirView:
    """One patient's resources, indexed by `Type/id`."""

    def __init__(self, app: str, patient: Json, resources: Sequence[Json]) -> None:
        self.app = app
        self.patient = patient
        self.resources = tuple(resources)
        self._by_ref = {f"{r['resourceType']}/{r['id']}": r for r in self.resources}
        self._by_ref.setdefault(f"Patient/{patient['id']}", patient)

    def of_type(self, resource_type: str) -> list[Json]:
        return [r for r in self.resources if r["resourceType"] == resource_type]

    def get(self, reference: str | Json | None) -> Json | None:
        """The resource a relative reference (`Type/id`, or a Reference) names, if gathered."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str):
            return None
        return self._by_ref.get(reference.split("/_history/")[0])

    def native_id(self, resource: Json, entity: str) -> str | None:
        """The value of the resource's identifier for this app's `entity`, if it has one."""
        system = f"{SID}/{self.app}/{entity}"
        identifiers = resource.get("identifier", ())
        if isinstance(identifiers, dict):  # 0..1 on some types (Composition, Bundle)
            identifiers = (identifiers,)
        for identifier in identifiers:
            if identifier.get("system") == system and "value" in identifier:
                return str(identifier["value"])
        return None

    @staticmethod
    def ref(resource: Json) -> str:
        return f"{resource['resourceType']}/{resource['id']}"


R = TypeVar("R", bound=NativeRow)


def partial_row(model: type[R], values: Json) -> R | None:
    """A row built from another system's FHIR, which may lack what only the app records (an
    EHR's patient has no username, no emergency contact): the values FHIR gives, checked by the
    model, the missing required fields left out of the row. Sending it back is a 422 naming
    them, so the app supplies what it alone knows. None when a value itself is wrong."""
    present = {k: v for k, v in values.items() if v is not None}
    try:
        return model.model_validate(present)
    except ValidationError as error:
        if any(detail["type"] != "missing" for detail in error.errors()):
            return None
    built = cast(R, model.model_construct(**present))  # pydantic types it as the base
    return built


def row_json(row: NativeRow) -> Json:
    """A row as the app writes it: its fields by seed name, absent values left out; exact
    numbers (gateway.jsonio.ExactDecimal) stay objects so `jsonio.dumps` writes their text."""
    return row.model_dump(exclude_none=True)


def concept_text(concept: Any) -> str | None:
    """A CodeableConcept as people read it: its text, else its first coding's display (how an
    app's free-text field takes a coded value from an EHR)."""
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str) and concept["text"]:
        return str(concept["text"])
    for coding in concept.get("coding", ()):
        if (
            isinstance(coding, dict)
            and isinstance(coding.get("display"), str)
            and coding["display"]
        ):
            return str(coding["display"])
    return None
