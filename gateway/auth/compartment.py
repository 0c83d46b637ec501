"""Is a resource in `Patient/{id}`'s compartment? Decided on the resource JSON alone.

https://hl7.org/fhir/R4/compartmentdefinition-patient.html. A `patient/` scope with the token's
`patient` launch context is confined to that compartment (SMART scopes-and-launch-context.html:
patient-specific scopes give access "to specific data about a single patient").

The same data as gateway.services.compartments (the R4 CompartmentDefinition via
`fhir_profiles.compartments()`, each inclusion parameter's R4 expression), evaluated in memory on
one resource rather than as a MongoDB clause, so the check stays pure and below the services.
Same rules as that module: the Patient itself is a member of its own compartment (R5 says so; R4
marks it `{def}` for the other compartments), and so is a Patient whose `link` refers to it.

A reference counts when it is `Patient/{id}` (a version suffix allowed) or an absolute URL
`{base}/Patient/{id}` under one of this server's `base_urls`; a reference to another server's
Patient, a contained one (`#p1`) or a logical one (identifier only) does not, since none of them
is provably this patient. A type the compartment does not list has no member.
"""

from __future__ import annotations

from typing import Any

import fhir_profiles
from gateway.auth.paths import element_paths, values_at
from gateway.jsonio import Json

_HISTORY = "/_history/"


def in_patient_compartment(
    resource: Json, patient: str, *, base_urls: tuple[str, ...] = ()
) -> bool:
    """`resource` belongs to the compartment of `Patient/{patient}`."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        return False
    if resource_type == "Patient" and resource.get("id") == patient:
        return True
    targets = _targets(patient, base_urls)
    for code in fhir_profiles.compartments()["Patient"].get(resource_type, ()):
        for path in element_paths(resource_type, code):
            for value in values_at(resource, path):
                if _refers_to(value, targets):
                    return True
    return False


def compartment_types() -> frozenset[str]:
    """The resource types that can be in a Patient compartment (Patient included)."""
    return frozenset({"Patient", *fhir_profiles.compartments()["Patient"]})


def _targets(patient: str, base_urls: tuple[str, ...]) -> frozenset[str]:
    relative = f"Patient/{patient}"
    return frozenset({relative, *(f"{base.rstrip('/')}/{relative}" for base in base_urls)})


def _refers_to(value: Any, targets: frozenset[str]) -> bool:
    if not isinstance(value, dict):
        return False
    reference = value.get("reference")
    if not isinstance(reference, str):
        return False
    return reference.split(_HISTORY, 1)[0] in targets
