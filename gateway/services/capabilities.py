"""The CapabilityStatement, generated from what is implemented (capabilitystatement.html):
the kept types (our four and every other R4 type fhir.resources validates) with the search
registry's parameters and includes for each, and the R4 parameters not offered, with the
reason, in each resource's `documentation`.

Conformance (issue 11): each type lists as `supportedProfile` every held constraint profile
of it (R4's vital signs family, the gateway package's), while `profile` stays R4's base
definition; every type has `$validate`; the four conformance types, published read-only from
`fhir_profiles/` (gateway.store.conformance), offer only reads, searches and history, and
carry the terminology operations. `implementationGuide` names the gateway's package.

`instantiates` claims R4's terminology-server CapabilityStatement: R4 lets a server implement
a subset of a statement it instantiates, as long as its own statement says exactly what it does
(capabilitystatement.html, `instantiates`). This one serves ValueSet $expand and
$validate-code, CodeSystem $lookup and ConceptMap $translate over the terminology it holds, and
lists them below; it does not offer CodeSystem $validate-code, $subsumes or $closure.

Security (issue 13, SMART App Launch "Conformance"): `rest[0].security` says which mode is on.
With AUTH_MODE=smart the service is SMART-on-FHIR and the `oauth-uris` extension names the
token endpoint; with `off` the description says plainly that anyone may read and write.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import fhir_profiles
from fhir_profiles.canonical import held, package_manifest
from gateway import __doc__ as gateway_doc
from gateway.jsonio import Json
from gateway.search.model import SearchParameter
from gateway.search.parameters import parameters_of, unsupported_parameters
from gateway.services.compartments import compartment_names, definition_url
from gateway.services.everything import OPERATION as EVERYTHING
from gateway.services.generic import kept_types
from gateway.services.system_search import common_parameters
from gateway.store.audit import AUDIT_TYPE
from gateway.store.conformance import CONFORMANCE_TYPES
from mappers.r4 import FHIR_VERSION

SOFTWARE_VERSION = "0.1.0"
INTERACTIONS = (
    "read", "vread", "update", "delete", "history-instance", "history-type", "create", "search-type"
)  # fmt: skip
# Whole-system interactions (http.html#search, #history), besides transaction and batch.
SYSTEM_INTERACTIONS = ("search-system", "history-system")
LASTN = "http://hl7.org/fhir/OperationDefinition/Observation-lastn"
BULK_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
PATIENT_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
# The conformance types are read-only; history-type too reads them (one version each).
READ_ONLY_INTERACTIONS = ("read", "vread", "history-instance", "history-type", "search-type")
R4_OPERATIONS = "http://hl7.org/fhir/OperationDefinition/"
VALIDATE = {"name": "validate", "definition": f"{R4_OPERATIONS}Resource-validate"}
TERMINOLOGY_OPERATIONS = {
    "ValueSet": [
        {"name": "expand", "definition": f"{R4_OPERATIONS}ValueSet-expand"},
        {"name": "validate-code", "definition": f"{R4_OPERATIONS}ValueSet-validate-code"},
    ],
    "CodeSystem": [{"name": "lookup", "definition": f"{R4_OPERATIONS}CodeSystem-lookup"}],
    "ConceptMap": [{"name": "translate", "definition": f"{R4_OPERATIONS}ConceptMap-translate"}],
}
TERMINOLOGY_SERVER = "http://hl7.org/fhir/CapabilityStatement/terminology-server"
SECURITY_SERVICE = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthl7.org/StructureDefinition/oauth-uris"
TOKEN_PATH = "/auth/token"  # the SMART Backend Services token endpoint, under the FHIR base
OFF_DESCRIPTION = (
    "Authorization is OFF (AUTH_MODE=off): no access token is asked for, and anyone who can"
    " reach this server can read and change every record. For trying the gateway only."
)
SMART_DESCRIPTION = (
    "SMART on FHIR (AUTH_MODE=smart): every interaction but this statement and SMART discovery"
    " needs a bearer access token (RS256 or ES256 JWT); its scopes decide what it may read and"
    " write (SMART App Launch v1 and v2 scopes, the patient launch context). See"
    " .well-known/smart-configuration."
)


def capability_statement(
    *, base_url: str, date: str, smart: bool = False, cors: bool = False
) -> Json:
    """`smart`: AUTH_MODE=smart is on; `cors`: browser apps may call (CORS configured)."""
    statement: Json = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "instantiates": [TERMINOLOGY_SERVER],
        "software": {"name": "fhir-gateway", "version": SOFTWARE_VERSION},
        "implementation": {"description": (gateway_doc or "").strip(), "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "security": security(base_url=base_url, smart=smart, cors=cors),
                "resource": _resources(),
                "compartment": _compartments(),
                "interaction": [
                    {"code": code} for code in ("transaction", "batch", *SYSTEM_INTERACTIONS)
                ],
                "searchParam": _system_search_params(),
                "operation": [{"name": "export", "definition": BULK_EXPORT}],
            }
        ],
    }
    guide = package_guide()
    if guide is not None:
        statement["implementationGuide"] = [guide]
    return statement


def security(*, base_url: str, smart: bool, cors: bool) -> Json:
    """`rest.security`: the SMART service and its token endpoint, or a plain warning when off."""
    if not smart:
        return {"cors": cors, "description": OFF_DESCRIPTION}
    token = {"url": "token", "valueUri": f"{base_url.rstrip('/')}{TOKEN_PATH}"}
    return {
        "extension": [{"url": OAUTH_URIS, "extension": [token]}],
        "cors": cors,
        "service": [
            {
                "coding": [{"system": SECURITY_SERVICE, "code": "SMART-on-FHIR"}],
                "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            }
        ],
        "description": SMART_DESCRIPTION,
    }


def package_guide() -> str | None:
    """The gateway package as an ImplementationGuide canonical, by the NPM package convention
    `{canonical}/ImplementationGuide/{name}`; None before the package is built."""
    manifest = package_manifest()
    if manifest is None or "canonical" not in manifest or "name" not in manifest:
        return None
    return f"{manifest['canonical']}/ImplementationGuide/{manifest['name']}"


@cache
def _resources() -> list[dict[str, Any]]:
    """The same for every request: built once (about 130 types, each with its includes)."""
    return [_resource(t) for t in kept_types()]


def _resource(resource_type: str) -> dict[str, Any]:
    parameters = parameters_of(resource_type)
    references = sorted(code for code, p in parameters.items() if p.type == "reference")
    referring = sorted(
        f"{source}:{code}"
        for source in kept_types()
        for code, p in parameters_of(source).items()
        if p.type == "reference" and resource_type in p.targets
    )
    entry: dict[str, Any] = {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "interaction": [{"code": code} for code in INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalUpdate": True,
        "conditionalDelete": "single",
        "searchInclude": ["*", *(f"{resource_type}:{code}" for code in references)],
        "searchRevInclude": referring,
        "searchParam": [_search_param(resource_type, p) for _, p in sorted(parameters.items())],
    }
    profiles = supported_profiles(resource_type)
    if profiles:
        entry["supportedProfile"] = profiles
    if resource_type in CONFORMANCE_TYPES or resource_type == AUDIT_TYPE:
        _read_only(entry)
    documentation = _unsupported_documentation(resource_type)
    if documentation:
        entry["documentation"] = documentation
    entry["operation"] = [*_operations(resource_type), VALIDATE]
    return entry


def _operations(resource_type: str) -> list[dict[str, str]]:
    """The type's own operations; `$validate` (every type) follows them."""
    if resource_type == "Observation":
        return [{"name": "lastn", "definition": LASTN}]
    if resource_type == "Patient":
        return [{"name": "export", "definition": PATIENT_EXPORT}, _everything()]
    return TERMINOLOGY_OPERATIONS.get(resource_type, [])


def _read_only(entry: dict[str, Any]) -> None:
    """A conformance type or the audit trail: reads, searches and history only (writes: 405)."""
    entry["interaction"] = [{"code": code} for code in READ_ONLY_INTERACTIONS]
    entry["versioning"] = "versioned"
    entry.update(updateCreate=False, conditionalCreate=False, conditionalUpdate=False)
    entry["conditionalDelete"] = "not-supported"


def supported_profiles(resource_type: str) -> list[str]:
    """Every held constraint profile of `resource_type` (fhir_profiles.canonical), sorted."""
    return sorted(
        sd["url"]
        for sd in held().of_type("StructureDefinition")
        if sd.get("derivation") == "constraint"
        and sd.get("kind") == "resource"
        and sd.get("type") == resource_type
    )


def _unsupported_documentation(resource_type: str) -> str:
    """R4 search parameters of the type not offered, each with its reason (markdown)."""
    unsupported = unsupported_parameters(resource_type)
    if not unsupported:
        return ""
    lines = [f"- `{code}`: {reason}" for code, reason in unsupported.items()]
    return "R4 search parameters not supported:\n\n" + "\n".join(lines)


def _system_search_params() -> list[dict[str, str]]:
    """What a search without `_type` takes: the parameters every kept type has alike
    (gateway.services.system_search; with `_type`, those the named types share)."""
    common = common_parameters(())
    return [_search_param("Resource", parameter) for _, parameter in sorted(common.items())]


def _compartments() -> list[str]:
    """The compartments searchable as `{Compartment}/{id}/{type}` (services.compartments)."""
    return [definition_url(name) for name in compartment_names()]


def _everything() -> dict[str, str]:
    """`Patient/$everything` and `Patient/{id}/$everything` (services.everything)."""
    return {"name": "everything", "definition": EVERYTHING}


def _search_param(resource_type: str, parameter: SearchParameter) -> dict[str, str]:
    definitions = fhir_profiles.search_parameters()
    definition = definitions.get((resource_type, parameter.code)) or definitions.get(
        ("Resource", parameter.code), {}
    )
    entry = {"name": parameter.code}
    if "url" in definition:
        entry["definition"] = definition["url"]
    entry["type"] = parameter.type
    return entry
