"""What the service gathers for `GET /apps/heart-recovery/records?patient=`: the Patient, the
resources that reference it (its compartment, approximated by any reference to it), and what
those reference, one hop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.jsonio import Json
from mappers.apps.view import FhirView


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for inner in value.values():
            yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def view_of(resources: list[Json], patient: Json) -> FhirView:
    by_ref = {f"{r['resourceType']}/{r['id']}": r for r in resources}
    me = f"Patient/{patient['id']}"
    inside = {me: patient}
    inside.update({ref: r for ref, r in by_ref.items() if me in set(references(r))})
    for resource in list(inside.values()):
        for ref in references(resource):
            if ref in by_ref:
                inside.setdefault(ref, by_ref[ref])
    return FhirView("heart-recovery", patient, list(inside.values()))
