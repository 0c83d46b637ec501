"""The only place fhir.resources is imported: structural validation of incoming resources.

R4 classes come from `fhir.resources.R4B` (the package ships no R4 sub-package since 7.0; R4B
matches R4 for the types we validate). Validation runs on the way in only; reads serve the
stored JSON (`model_validate` costs ~0.4 ms for a Patient, serialising back through the model
twice that).

Two engines give the same verdicts (tests/mappers/test_validator_differential.py): `compiled`,
one walk over tables compiled from the R4 StructureDefinitions (mappers.shape with the COMPLETE
tables), and `fhir.resources`, the shape walk for what the models leave out, then the models.
The caller chooses (VALIDATION_ENGINE, passed in by gateway.services); mappers read no settings.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from gateway.errors import InvalidResource, Issue
from mappers.element_tables import COMPLETE
from mappers.shape import shape_issues, walked

FHIR_VERSION = "4.0.1"
Engine = Literal["compiled", "fhir.resources"]
DEFAULT_ENGINE: Engine = "compiled"


@cache
def _model(resource_type: str) -> Any:
    return get_fhir_model_class(resource_type)


def has_model(name: str) -> bool:
    """Whether fhir.resources has a model `name`, without importing it (importing every
    resource model takes over a second). For an R4 resource type name, this says R4B kept it."""
    from fhir.resources.R4B import fhirtypes  # as get_fhir_model_class does: on first use

    return hasattr(fhirtypes, f"{name}Type")


def validate(resource: dict[str, Any], *, engine: Engine = DEFAULT_ENGINE) -> list[Issue]:
    """Raise InvalidResource with one issue per problem (path in `expression`) unless valid.

    Returns the datatype invariant violations found on the way (code `invariant`), which the
    caller reports with the resource's own invariants as unprocessable (422).
    """
    compiled, deferred = engine == "compiled", False
    if compiled:  # the model runs only where the tables cannot judge (definitions.DEFERRED)
        found, deferred = walked(resource, tables=COMPLETE)
    else:
        found = shape_issues(resource)
    invariants = [i for i in found if i.code == "invariant"]
    issues = [i for i in found if i.code != "invariant"]
    resource_type = str(resource.get("resourceType"))
    if not issues and (deferred or not compiled):
        try:
            _model(resource_type).model_validate(resource)
        except ValidationError as error:
            issues = [_issue(resource_type, e) for e in error.errors(include_url=False)]
    if issues:
        summary = issues[0].diagnostics if len(issues) == 1 else f"{len(issues)} problems"
        raise InvalidResource(f"Invalid {resource_type}: {summary}", issues=issues)
    return invariants


def _issue(resource_type: str, error: Any) -> Issue:
    return Issue(
        str(error.get("msg", "invalid")),
        code="required" if "missing" in str(error.get("type", "")) else "structure",
        expression=element_path(resource_type, error.get("loc", ())),
    )


def element_path(resource_type: str, location: tuple[Any, ...]) -> str:
    """(`name`, 0, `family`) -> `Patient.name[0].family`, the FHIRPath form tests assert."""
    path = resource_type
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("__root__",) and not str(part).startswith("function-"):
            path += f".{part}"
    return path


@cache
def summary_elements(resource_type: str) -> frozenset[str]:
    """The elements fhir.resources marks as part of the summary (`_summary=true`)."""
    fields = _model(resource_type).model_fields
    return frozenset(
        field.alias or name
        for name, field in fields.items()
        if isinstance(field.json_schema_extra, dict)
        and field.json_schema_extra.get("summary_element_property")
    )
