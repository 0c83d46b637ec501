"""What the service gathers for `GET /apps/heart-recovery/records?patient=`
(gateway.services.apps.gather): the Patient and the Patients linked to it either way, the
resources that reference them (their compartments, approximated by any reference), and what
those reference, two hops."""

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
    people = {me} | {
        ref
        for ref, r in by_ref.items()
        if r["resourceType"] == "Patient"
        and (me in {link["other"]["reference"] for link in r.get("link", ())}
             or ref in {link["other"]["reference"] for link in patient.get("link", ())})
    }  # fmt: skip
    inside = {me: patient} | {ref: by_ref[ref] for ref in people - {me}}
    inside.update({ref: r for ref, r in by_ref.items() if people & set(references(r))})
    for _hop in range(2):
        for resource in list(inside.values()):
            for ref in references(resource):
                if ref in by_ref:
                    inside.setdefault(ref, by_ref[ref])
    return FhirView("heart-recovery", patient, list(inside.values()))
