"""Compartments: which resources are in `{Compartment}/{id}` (the compartment search itself,
`GET [base]/{Compartment}/{id}/{type}?...`, is gateway.services.compartment_search)
(https://hl7.org/fhir/R4/compartmentdefinition.html, http.html#vsearch).

This module reads no store and imports no search service: the authorization check
(gateway.services.access) builds a `patient/` scope's clause with `membership`, and the search
services import that check.

Membership is data: the R4 CompartmentDefinitions (fhir_profiles.compartments()) name, per
resource type, the reference parameters whose value puts a resource in the compartment; a
resource is a member when any of them refers to `{Compartment}/{id}`. The clause is built by
the reference machinery over the values indexed at write time (`index.<param>`), so a reference
written as an absolute URL under this server's base counts as well as `Patient/1`.

Choices the spec leaves open:
- The compartment's own resource is a member of its compartment (R4 marks it `{def}` for
  Encounter, Practitioner, RelatedPerson and Device; for Patient we do the same, as R5 does),
  so `Patient/1/Patient` finds Patient 1 and the patients whose `link` points at it.
- The compartment's resource need not exist: a compartment is defined by the references to it
  (compartmentdefinition.html), so an unknown id gives an empty searchset, not a 404.
- A type with no inclusion criterion in the compartment is a 400 (the search is not defined for
  it), an unknown type a 404, as for a type search.
- Every inclusion parameter is a reference parameter of the registry (tested for every kept
  type); `{def}` is the owner itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import fhir_profiles
from gateway.errors import InvalidSearch, NotFound
from gateway.search.model import NOTHING, Clause, SearchParameter
from gateway.search.parameters import parameters_of
from gateway.search.paths import any_of
from gateway.search.reference import forms, ids_clause
from gateway.services.context import Services

Ids = Sequence[str] | None  # compartment ids; None: every resource of the compartment's type


def compartment_names() -> tuple[str, ...]:
    """The compartments R4 defines, alphabetically."""
    return tuple(fhir_profiles.compartments())


def definition_url(compartment: str) -> str:
    """The canonical URL of an R4 CompartmentDefinition (`relatedPerson` keeps its capital)."""
    return f"http://hl7.org/fhir/CompartmentDefinition/{compartment[0].lower()}{compartment[1:]}"


def member_types(compartment: str, services: Services) -> list[str]:
    """The types this server keeps that the compartment can hold (its own type included)."""
    definition = _definition(compartment)
    types = {compartment, *definition}
    return sorted(t for t in types if services.keeps(t))


def membership(
    compartment: str, ids: Ids, resource_type: str, *, base_urls: tuple[str, ...] = ()
) -> Clause:
    """Resources of `resource_type` in the compartment of any of `{compartment}/{id}`; `ids`
    None: of any resource of the compartment's type (`Patient/$everything`)."""
    known = parameters_of(resource_type)
    clauses: list[Clause] = []
    if resource_type == compartment:
        clauses.append({} if ids is None else {"_id": {"$in": list(ids)}})
    for code in _definition(compartment).get(resource_type, ()):
        parameter = known.get(code)
        if parameter is None or parameter.type != "reference":
            continue  # `{def}`: the owner itself, handled above
        if ids is None:
            clauses.append(_any_reference_to(parameter, compartment, base_urls))
        else:
            clauses.append(ids_clause(parameter, compartment, list(ids), base_urls=base_urls))
    return any_of(clauses) if clauses else NOTHING


def _any_reference_to(
    parameter: SearchParameter, compartment: str, base_urls: tuple[str, ...]
) -> Clause:
    """A reference to any resource of type `compartment`, relative or under one of our bases:
    an anchored prefix (index-served), every client-free part escaped."""
    prefixes = [re.escape(form) for form in forms(f"{compartment}/", base_urls)]
    return {parameter.index_field: {"$regex": f"^(?:{'|'.join(prefixes)})"}}


def check_member_type(compartment: str, resource_type: str, services: Services) -> None:
    """400 for a type the compartment cannot hold; the type must be one the server keeps."""
    services.store(resource_type)  # 404 for an unknown type, as a type search
    if resource_type != compartment and resource_type not in _definition(compartment):
        raise InvalidSearch(
            f"{resource_type} is not in the {compartment} compartment "
            f"({definition_url(compartment)}).",
            expression=resource_type,
        )


def _definition(compartment: str) -> dict[str, tuple[str, ...]]:
    definition = fhir_profiles.compartments().get(compartment)
    if definition is None:
        raise NotFound(
            f"`{compartment}` is not a compartment; R4 defines {', '.join(compartment_names())}.",
            code="MSG_UNKNOWN_TYPE",
        )
    return definition
