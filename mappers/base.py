"""One mapper mechanism for every resource type: FHIR JSON <-> domain record.

A mapper module (mappers/patient.py, ...) declares the FHIR name of every field of its record
and of the values it holds (`FhirNames`, mappers/names.py) and a function computing the
record's derived views; `record_mapper` makes its `ResourceMapper` from them. `from_fhir`
validates the named elements into the record's fields, keeps every other element verbatim in
`fhir_rest` and derives the views; `to_fhir` writes the fields back under their FHIR names
beside `fhir_rest`, views left out, in StructureDefinition element order. So
`to_fhir(from_fhir(r)) == r` for any valid `r` without `id` and version meta: the service layer
owns `id`, `meta.versionId` and `meta.lastUpdated`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic_core import ValidationError

import fhir_profiles
from gateway.domain.base import FhirRecord
from gateway.errors import InvalidResource, Issue
from gateway.jsonio import Json
from mappers.names import NameTable, TextTable
from mappers.schema import document_serializer, fhir_serializer, fhir_validator

SERVICE_META = ("versionId", "lastUpdated")

R = TypeVar("R", bound=FhirRecord)


@dataclass(frozen=True, slots=True)
class ResourceMapper(Generic[R]):
    """The translation of one resource type; build it with `record_mapper`.

    `document_to_fhir(document)` equals `to_fhir(record_type.model_validate(document))` for a
    stored document (the record's `model_dump(exclude_none=True)` beside service fields and
    index), without building the record: the read path's shortcut, about three times faster.
    """

    resource_type: str
    record_type: type[R]
    to_fhir: Callable[[R], Json]
    from_fhir: Callable[[Json], R]
    document_to_fhir: Callable[[dict[str, Any]], Json]


def record_mapper(
    resource_type: str,
    record_type: type[R],
    *,
    names: NameTable,
    texts: TextTable,
    derive: Callable[[R], None] | None = None,
) -> ResourceMapper[R]:
    """The mapper of `record_type`, whose models `names` and `texts` cover (checked here);
    `derive` sets the record's derived views from its other fields."""
    validator = fhir_validator(record_type, names, texts)
    serializer = fhir_serializer(record_type, names, texts)
    document_fhir = document_serializer(record_type, names, texts)
    modelled = frozenset(names[record_type].fields.values())
    order = _element_order(resource_type)

    def from_fhir(resource: Json) -> R:
        typed: Json = {}
        rest: Json = {}
        for key, value in resource.items():
            if key in ("resourceType", "id"):
                continue
            (typed if key in modelled else rest)[key] = value
        meta = {k: v for k, v in rest.pop("meta", {}).items() if k not in SERVICE_META}
        if meta:
            rest["meta"] = meta
        typed["fhir_rest"] = rest
        try:
            record: R = validator.validate_python(typed)
        except ValidationError as error:
            raise InvalidResource(
                f"{resource_type} could not be mapped.",
                issues=[
                    Issue(str(e["msg"]), expression=_path(resource_type, e["loc"]))
                    for e in error.errors(include_url=False)
                ],
            ) from error
        if derive is not None:
            derive(record)
        return record

    def resource(typed: Json, rest: Json) -> Json:
        merged = {**rest, **typed}
        ordered = sorted(merged, key=lambda key: order.get(key.lstrip("_"), len(order)))
        return {"resourceType": resource_type, **{key: merged[key] for key in ordered}}

    def to_fhir(record: R) -> Json:
        typed = serializer.to_python(record, by_alias=True, exclude_none=True)
        return resource(typed, record.fhir_rest)

    def document_to_fhir(document: dict[str, Any]) -> Json:
        typed = document_fhir.to_python(document, by_alias=True, exclude_none=True)
        return resource(typed, document.get("fhir_rest") or {})

    return ResourceMapper(
        resource_type,
        record_type,
        to_fhir=to_fhir,
        from_fhir=from_fhir,
        document_to_fhir=document_to_fhir,
    )


def _path(resource_type: str, location: tuple[Any, ...]) -> str:
    path = resource_type
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _element_order(resource_type: str) -> dict[str, int]:
    """Element name -> position in the StructureDefinition, so output reads in spec order."""
    return {name: index for index, name in enumerate(fhir_profiles.elements()[resource_type])}
