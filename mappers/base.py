"""One mapper interface for every resource type: FHIR JSON <-> record.

A record's typed fields carry the FHIR element name as alias; `from_fhir` takes those elements
into the typed fields and keeps every other element verbatim in `fhir_rest`; `to_fhir` puts
both back, so `to_fhir(from_fhir(r)) == r` for any valid `r` without `id` and version meta.
The service layer owns `id`, `meta.versionId` and `meta.lastUpdated`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import ValidationError

import fhir_profiles
from gateway.domain.base import FhirRecord
from gateway.errors import InvalidResource, Issue

FhirJson = dict[str, Any]
SERVICE_META = ("versionId", "lastUpdated")
FHIR_CONTEXT = {"fhir": True}


class Derivable(Protocol):
    def derive(self) -> None: ...


R = TypeVar("R", bound=FhirRecord)


@dataclass(frozen=True, slots=True)
class ResourceMapper(Generic[R]):
    """The translation of one resource type; build it with `domain_mapper`."""

    resource_type: str
    record_type: type[R]
    to_fhir: Callable[[R], FhirJson]
    from_fhir: Callable[[FhirJson], R]


def domain_mapper(resource_type: str, record_type: type[R]) -> ResourceMapper[R]:
    """The mapper of a record type whose typed fields are aliased by FHIR element name."""
    derived = record_type.derived_fields
    modelled = {
        field.alias or name
        for name, field in record_type.model_fields.items()
        if name != "fhir_rest" and name not in derived
    }
    excluded = {"fhir_rest", *derived}
    order = _element_order(resource_type)

    def from_fhir(resource: FhirJson) -> R:
        typed: FhirJson = {}
        rest: FhirJson = {}
        for key, value in resource.items():
            if key in ("resourceType", "id"):
                continue
            (typed if key in modelled else rest)[key] = value
        meta = {k: v for k, v in rest.pop("meta", {}).items() if k not in SERVICE_META}
        if meta:
            rest["meta"] = meta
        try:
            record = record_type.model_validate({**typed, "fhir_rest": rest})
        except ValidationError as error:
            raise InvalidResource(
                f"{resource_type} could not be mapped.",
                issues=[
                    Issue(str(e["msg"]), expression=_path(resource_type, e["loc"]))
                    for e in error.errors(include_url=False)
                ],
            ) from error
        derive: Callable[[], None] | None = getattr(record, "derive", None)
        if derive is not None:
            derive()
        return record

    def to_fhir(record: R) -> FhirJson:
        typed = record.model_dump(
            by_alias=True, exclude_none=True, exclude=excluded, context=FHIR_CONTEXT
        )
        merged = {**record.fhir_rest, **typed}
        ordered = sorted(merged, key=lambda key: order.get(key.lstrip("_"), len(order)))
        return {"resourceType": resource_type, **{key: merged[key] for key in ordered}}

    return ResourceMapper(resource_type, record_type, to_fhir=to_fhir, from_fhir=from_fhir)


def _path(resource_type: str, location: tuple[Any, ...]) -> str:
    path = resource_type
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _element_order(resource_type: str) -> dict[str, int]:
    """Element name -> position in the StructureDefinition, so output reads in spec order."""
    return {name: index for index, name in enumerate(fhir_profiles.elements()[resource_type])}
