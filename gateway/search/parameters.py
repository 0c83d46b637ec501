"""The search-parameter registry: every parameter of our four types, defined once.

Names, types and targets follow the R4 SearchParameter definitions
(fhir_profiles/search-parameters, checked by tests); paths say where each one's elements live in
our stored documents. The other R4 types, kept whole, get theirs derived (gateway.search.generic).
The CapabilityStatement lists what `parameters_of` gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import fhir_profiles
from gateway.search.generic import NOT_OFFERED, Derivation, derive
from gateway.search.model import ParamType, SearchParameter, TokenKind

ALL = ("Patient", "Encounter", "Observation", "MedicationStatement")
CS = "http://hl7.org/fhir"


def _p(
    code: str, type_: ParamType, types: str | tuple[str, ...], *paths: str, **options: object
) -> SearchParameter:
    resource_types = (types,) if isinstance(types, str) else types
    return SearchParameter(code, type_, resource_types, paths, **options)  # type: ignore[arg-type]


def _token(
    code: str, types: str | tuple[str, ...], kind: TokenKind, *paths: str, **options: object
) -> SearchParameter:
    return _p(code, "token", types, *paths, kind=kind, **options)


def _ref(
    code: str,
    types: str | tuple[str, ...],
    targets: tuple[str, ...],
    *paths: str,
    single: bool = False,
) -> SearchParameter:
    return _p(code, "reference", types, *paths, targets=targets, single=single)


_RESOURCE = (  # every resource type's, ours and those kept whole
    _token("_id", ALL, "id", "_id", sort_path="_id"),
    _p("_lastUpdated", "date", ALL, "last_updated", sort_path="last_updated", point=True),
    _token("_tag", ALL, "coding", "fhir_rest.meta.tag[]"),
    _token("_security", ALL, "coding", "fhir_rest.meta.security[]"),
    _p("_profile", "uri", ALL, "fhir_rest.meta.profile"),
    _p("_source", "uri", ALL, "fhir_rest.meta.source"),
)
_COMMON = [
    *_RESOURCE,
    _token("identifier", ALL, "identifier", "identifiers[]", sort_path="identifiers.value"),
]

_PATIENT = [
    _token("active", "Patient", "boolean", "active"),
    _p("address", "string", "Patient", "addresses.line", "addresses.city", "addresses.district",
       "addresses.state", "addresses.postal_code", "addresses.country", "addresses.text"),
    _p("address-city", "string", "Patient", "addresses.city"),
    _p("address-country", "string", "Patient", "addresses.country"),
    _p("address-postalcode", "string", "Patient", "addresses.postal_code"),
    _p("address-state", "string", "Patient", "addresses.state"),
    _token("address-use", "Patient", "code", "addresses.use", system=f"{CS}/address-use"),
    _p("birthdate", "date", "Patient", "birth_date", sort_path="index.birthdate.start", single=True),
    _p("death-date", "date", "Patient", "deceased_at", single=True),
    _token("deceased", "Patient", "boolean", "index.deceased"),
    _token("email", "Patient", "contact", "telecom[]", contact_system="email"),
    _token("phone", "Patient", "contact", "telecom[]", contact_system="phone"),
    _token("telecom", "Patient", "contact", "telecom[]"),
    _p("family", "string", "Patient", "names.family", sort_path="sort.name"),
    _p("given", "string", "Patient", "names.given", sort_path="sort.given"),
    _p("name", "string", "Patient", "names.family", "names.given", "names.text",
       "names.prefix", "names.suffix", sort_path="sort.name"),
    _token("gender", "Patient", "code", "sex", system=f"{CS}/administrative-gender", sort_path="sex"),
    _ref("general-practitioner", "Patient", ("Practitioner", "Organization", "PractitionerRole"),
         "general_practitioners"),
    _token("language", "Patient", "codeable", "fhir_rest.communication.language.coding[]"),
    _ref("link", "Patient", ("Patient", "RelatedPerson"), "fhir_rest.link.other"),
    _ref("organization", "Patient", ("Organization",), "managing_organization", single=True),
]  # fmt: skip

_ENCOUNTER = [
    _ref("account", "Encounter", ("Account",), "fhir_rest.account"),
    _ref("appointment", "Encounter", ("Appointment",), "appointments"),
    _ref("based-on", "Encounter", ("ServiceRequest",), "fhir_rest.basedOn"),
    _token("class", "Encounter", "coding", "encounter_class", sort_path="encounter_class.code"),
    _p("date", "date", "Encounter", "period", sort_path="index.date.start", single=True),
    _ref("diagnosis", "Encounter", ("Condition", "Procedure"), "fhir_rest.diagnosis.condition"),
    _ref("episode-of-care", "Encounter", ("EpisodeOfCare",), "fhir_rest.episodeOfCare"),
    _p("length", "quantity", "Encounter", "fhir_rest.length"),
    _ref("location", "Encounter", ("Location",), "locations.location"),
    _p("location-period", "date", "Encounter", "locations.period"),
    _ref("part-of", "Encounter", ("Encounter",), "part_of", single=True),
    _ref("participant", "Encounter", ("Practitioner", "PractitionerRole", "RelatedPerson"),
         "participants.individual"),
    _token("participant-type", "Encounter", "codeable", "participants.type.coding[]"),
    _ref("patient", "Encounter", ("Patient",), "subject", single=True),
    _ref("practitioner", "Encounter", ("Practitioner",), "participants.individual"),
    _token("reason-code", "Encounter", "codeable", "reason_codes.coding[]"),
    _ref("reason-reference", "Encounter",
         ("Condition", "Observation", "Procedure", "ImmunizationRecommendation"), "reason_references"),
    _ref("service-provider", "Encounter", ("Organization",), "service_provider", single=True),
    _token("special-arrangement", "Encounter", "codeable",
           "fhir_rest.hospitalization.specialArrangement.coding[]"),
    _token("status", "Encounter", "code", "status", system=f"{CS}/encounter-status", sort_path="status"),
    _ref("subject", "Encounter", ("Group", "Patient"), "subject", single=True),
    _token("type", "Encounter", "codeable", "types.coding[]", sort_path="sort.type"),
]  # fmt: skip

_OBS_CODE = _token("code", "Observation", "codeable", "code.coding[]", sort_path="sort.code")
_OBS_VALUE_QUANTITY = _p("value-quantity", "quantity", "Observation", "value_quantity",
                         sort_path="value_quantity.value")  # fmt: skip
_OBS_VALUE_CONCEPT = _token("value-concept", "Observation", "codeable", "value_concept.coding[]")
_OBS_VALUE_DATE = _p(
    "value-date", "date", "Observation", "value_date_time", "value_period", single=True
)
_OBS_VALUE_STRING = _p(
    "value-string", "string", "Observation", "value_string", "value_concept.text", single=True
)
# The same elements inside one Observation.component (paths relative to the component).
_IN_COMPONENT_CODE = _token("component-code", "Observation", "codeable", "code.coding[]")
_IN_COMPONENT_QUANTITY = _p("component-value-quantity", "quantity", "Observation", "value_quantity")
_IN_COMPONENT_CONCEPT = _token("component-value-concept", "Observation", "codeable",
                               "value_concept.coding[]")  # fmt: skip


def _composite(
    code: str,
    parts: tuple[SearchParameter, ...],
    *,
    scope: str | None = None,
    also_resource: bool = False,
) -> SearchParameter:
    return SearchParameter(code, "composite", ("Observation",), (), parts=parts, scope=scope,
                           also_resource=also_resource)  # fmt: skip


_OBSERVATION = [
    _ref("based-on", "Observation",
         ("CarePlan", "DeviceRequest", "ImmunizationRecommendation", "MedicationRequest",
          "NutritionOrder", "ServiceRequest"), "fhir_rest.basedOn"),
    _token("category", "Observation", "codeable", "categories.coding[]"),
    _OBS_CODE,
    _token("combo-code", "Observation", "codeable", "code.coding[]", "components.code.coding[]"),
    _token("combo-data-absent-reason", "Observation", "codeable", "data_absent_reason.coding[]",
           "components.data_absent_reason.coding[]"),
    _token("combo-value-concept", "Observation", "codeable", "value_concept.coding[]",
           "components.value_concept.coding[]"),
    _p("combo-value-quantity", "quantity", "Observation", "value_quantity",
       "components[].value_quantity"),
    _token("component-code", "Observation", "codeable", "components.code.coding[]"),
    _token("component-data-absent-reason", "Observation", "codeable",
           "components.data_absent_reason.coding[]"),
    _token("component-value-concept", "Observation", "codeable", "components.value_concept.coding[]"),
    _p("component-value-quantity", "quantity", "Observation", "components[].value_quantity"),
    _token("data-absent-reason", "Observation", "codeable", "data_absent_reason.coding[]"),
    _p("date", "date", "Observation", "effective", sort_path="index.date.start", single=True),
    _ref("derived-from", "Observation",
         ("DocumentReference", "ImagingStudy", "Media", "MolecularSequence", "Observation",
          "QuestionnaireResponse"), "fhir_rest.derivedFrom"),
    _ref("device", "Observation", ("Device", "DeviceMetric"), "device", single=True),
    _ref("encounter", "Observation", ("Encounter",), "encounter", single=True),
    _ref("focus", "Observation", (), "fhir_rest.focus"),
    _ref("has-member", "Observation", ("MolecularSequence", "Observation", "QuestionnaireResponse"),
         "members"),
    _token("method", "Observation", "codeable", "method.coding[]"),
    _ref("part-of", "Observation",
         ("ImagingStudy", "Immunization", "MedicationAdministration", "MedicationDispense",
          "MedicationStatement", "Procedure"), "fhir_rest.partOf"),
    _ref("patient", "Observation", ("Patient",), "subject", single=True),
    _ref("performer", "Observation",
         ("CareTeam", "Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"),
         "performers"),
    _ref("specimen", "Observation", ("Specimen",), "fhir_rest.specimen", single=True),
    _token("status", "Observation", "code", "status", system=f"{CS}/observation-status",
           sort_path="status"),
    _ref("subject", "Observation", ("Device", "Group", "Location", "Patient"), "subject", single=True),
    _OBS_VALUE_CONCEPT,
    _OBS_VALUE_DATE,
    _OBS_VALUE_QUANTITY,
    _OBS_VALUE_STRING,
    _composite("code-value-concept", (_OBS_CODE, _OBS_VALUE_CONCEPT)),
    _composite("code-value-date", (_OBS_CODE, _OBS_VALUE_DATE)),
    _composite("code-value-quantity", (_OBS_CODE, _OBS_VALUE_QUANTITY)),
    _composite("code-value-string", (_OBS_CODE, _OBS_VALUE_STRING)),
    _composite("combo-code-value-concept", (_IN_COMPONENT_CODE, _IN_COMPONENT_CONCEPT),
               scope="components", also_resource=True),
    _composite("combo-code-value-quantity", (_IN_COMPONENT_CODE, _IN_COMPONENT_QUANTITY),
               scope="components", also_resource=True),
    _composite("component-code-value-concept", (_IN_COMPONENT_CODE, _IN_COMPONENT_CONCEPT),
               scope="components"),
    _composite("component-code-value-quantity", (_IN_COMPONENT_CODE, _IN_COMPONENT_QUANTITY),
               scope="components"),
]  # fmt: skip

_MEDICATION_STATEMENT = [
    _token("category", "MedicationStatement", "codeable", "category.coding[]"),
    _token("code", "MedicationStatement", "codeable", "medication_concept.coding[]",
           sort_path="sort.code"),
    _ref("context", "MedicationStatement", ("Encounter", "EpisodeOfCare"), "context", single=True),
    _p("effective", "date", "MedicationStatement", "taken", sort_path="index.effective.start", single=True),
    _ref("medication", "MedicationStatement", ("Medication",), "medication_reference", single=True),
    _ref("part-of", "MedicationStatement",
         ("MedicationAdministration", "MedicationDispense", "MedicationStatement", "Observation",
          "Procedure"), "fhir_rest.partOf"),
    _ref("patient", "MedicationStatement", ("Patient",), "subject", single=True),
    _ref("source", "MedicationStatement",
         ("Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"),
         "information_source", single=True),
    _token("status", "MedicationStatement", "code", "status",
           system=f"{CS}/CodeSystem/medication-statement-status", sort_path="status"),
    _ref("subject", "MedicationStatement", ("Group", "Patient"), "subject", single=True),
]  # fmt: skip

# R4 parameters of every resource type the gateway does not offer, and why.
UNSUPPORTED = {
    "_content": "full-text search is not offered",
    "_text": "full-text search is not offered",
    "_query": "no named queries are defined",
    "_list": "searching by List membership is not offered",
    "_filter": "the _filter expression language is not offered",
}


def _registry(parameters: Iterable[SearchParameter]) -> dict[str, dict[str, SearchParameter]]:
    registry: dict[str, dict[str, SearchParameter]] = {t: {} for t in ALL}
    for parameter in parameters:
        for resource_type in parameter.resource_types:
            registry[resource_type][parameter.code] = parameter
    return registry


REGISTRY = _registry([*_COMMON, *_PATIENT, *_ENCOUNTER, *_OBSERVATION, *_MEDICATION_STATEMENT])


def parameters_of(resource_type: str) -> dict[str, SearchParameter]:
    known = REGISTRY.get(resource_type)
    if known is None and resource_type in fhir_profiles.resource_types():
        known = derived(resource_type).parameters
    return known if known is not None else {}


def unsupported_parameters(resource_type: str) -> dict[str, str]:
    """Every R4 parameter of `resource_type` the gateway does not offer -> why (sorted by code).

    With `parameters_of` this covers every R4 parameter of the type (a test checks it).
    """
    if resource_type not in fhir_profiles.resource_types():
        return {}
    found = dict(UNSUPPORTED)
    if resource_type in REGISTRY:
        definitions = fhir_profiles.search_parameters()
        found.update(
            (code, why) for code, why in NOT_OFFERED.items() if (resource_type, code) in definitions
        )
    else:
        found.update(derived(resource_type).unsupported)
    return dict(sorted(found.items()))


@cache  # keyed by R4 type names only: callers pass names straight from queries
def derived(resource_type: str) -> Derivation:
    """A type kept whole: its parameters and their compiled extractors (once per type)."""
    return derive(resource_type, _RESOURCE)
