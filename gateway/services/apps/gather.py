"""One patient's resources, for an app to read back: what `GET /apps/{app}/records` maps.

The Patient, every resource in its Patient compartment (the R4 CompartmentDefinition, as
`$everything` reads it: gateway.services.compartments), the Patients linked to it by
`Patient.link` either way and their compartments (one person known to several systems,
patient.html#links), then what those resources reference that is outside the compartments
(Practitioner, PractitionerRole, Organization, Location, Device, Medication...), up to two
hops, local `Type/id` references only: an app's row may need its provider's name. Devices whose
`patient` is one of them come too, though R4's Patient compartment leaves Device out, and the
PractitionerRoles of the gathered Practitioners (a provider's specialty lives there).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from gateway.errors import NotFound
from gateway.jsonio import Json
from gateway.search.filters import parameter_clause
from gateway.search.model import ParsedParameter
from gateway.search.parameters import parameters_of
from gateway.search.reference import ids_clause
from gateway.services.compartments import member_types, membership
from gateway.services.context import Services
from mappers.references import holders

PATIENT = "Patient"
OWNED_OUTSIDE = {"Device": "patient"}  # type -> the reference search parameter naming the patient
HOPS = 2  # a MedicationRequest's requester (PractitionerRole) and that role's Practitioner


async def find_patient(services: Services, *, system: str, patient: str) -> Json:
    """The Patient whose identifier is `system|patient`, else the Patient with FHIR id
    `patient`; 404 naming both when neither is stored."""
    parameter = parameters_of(PATIENT)["identifier"]
    value = f"{system}|{_escaped(patient)}"
    store = services.store(PATIENT)
    documents = await store.fetch(
        parameter_clause(parameter, ParsedParameter("identifier", (value,))),
        sort=[("_id", 1)],
        limit=1,
    )
    if not documents:
        documents = await store.current_documents([patient])
    if not documents:
        raise NotFound(
            f"No Patient has identifier `{system}|{patient}` or id `{patient}`.",
            code="MSG_NO_EXIST",
            expression="patient",
        )
    found = store.to_version(documents[0]).resource
    assert found is not None  # a current document is never a deletion
    return found


async def patient_resources(services: Services, patient: Json) -> list[Json]:
    """The patient's record and what it references, each resource once, the patient first."""
    gathered: dict[str, Json] = {f"{PATIENT}/{patient['id']}": patient}
    linked = await _linked_patients(services, patient)
    gathered.update((_ref(p), p) for p in linked)
    ids = sorted({p["id"] for p in [patient, *linked]})
    for resource_type in await services.storage.holding(member_types(PATIENT, services)):
        await _fetch_into(
            gathered, services, resource_type, membership(PATIENT, ids, resource_type)
        )
    for resource_type, code in await _owned_outside(services):
        parameter = parameters_of(resource_type)[code]
        await _fetch_into(gathered, services, resource_type, ids_clause(parameter, PATIENT, ids))
    frontier = list(gathered.values())
    for _hop in range(HOPS):
        frontier = await _referenced(services, frontier, gathered)
        gathered.update((_ref(r), r) for r in frontier)
    await _roles_of_practitioners(services, gathered)
    return list(gathered.values())


async def _roles_of_practitioners(services: Services, gathered: dict[str, Json]) -> None:
    """The PractitionerRoles of the gathered Practitioners: a provider's specialty and a
    clinician's role live there, and nothing in the record need reference the role itself."""
    ids = sorted(r["id"] for r in gathered.values() if r["resourceType"] == "Practitioner")
    if ids and await services.storage.holding(["PractitionerRole"]):
        parameter = parameters_of("PractitionerRole")["practitioner"]
        clause = ids_clause(parameter, "Practitioner", ids)
        await _fetch_into(gathered, services, "PractitionerRole", clause)


async def _owned_outside(services: Services) -> list[tuple[str, str]]:
    """The held types of OWNED_OUTSIDE: R4 puts a Device in its own compartment, not the
    patient's, yet a wearable an app connected is that patient's (Device.patient)."""
    held = set(await services.storage.holding(list(OWNED_OUTSIDE)))
    return [(t, code) for t, code in OWNED_OUTSIDE.items() if t in held]


async def _fetch_into(
    gathered: dict[str, Json], services: Services, resource_type: str, clause: Json
) -> None:
    store = services.store(resource_type)
    for document in await store.fetch(clause):
        resource = store.to_version(document).resource
        if resource is not None:
            gathered.setdefault(_ref(resource), resource)


async def _linked_patients(services: Services, patient: Json) -> list[Json]:
    """Patients whose `link` names this one, and those its own `link` names."""
    store = services.store(PATIENT)
    pointing = [
        store.to_version(d).resource
        for d in await store.fetch(membership(PATIENT, [patient["id"]], PATIENT))
    ]
    named = await _read(services, _local(patient.get("link", ()), "other"))
    found = {_ref(p): p for p in [*pointing, *named] if p is not None and p["id"] != patient["id"]}
    return list(found.values())


async def _referenced(
    services: Services, resources: list[Json], known: dict[str, Json]
) -> list[Json]:
    wanted = {
        reference
        for resource in resources
        for holder in holders(resource)
        if (reference := _local_reference(holder.get("reference"))) and reference not in known
    }
    return await _read(services, wanted)


async def _read(services: Services, references: Iterable[str]) -> list[Json]:
    """The current resources `Type/id` names, those stored of types the server keeps."""
    by_type: dict[str, list[str]] = defaultdict(list)
    for reference in references:
        resource_type, _, resource_id = reference.partition("/")
        if services.keeps(resource_type):
            by_type[resource_type].append(resource_id)
    found: list[Json] = []
    for resource_type, ids in sorted(by_type.items()):
        store = services.store(resource_type)
        for document in await store.current_documents(sorted(set(ids))):
            resource = store.to_version(document).resource
            if resource is not None:
                found.append(resource)
    return found


def _local(items: Iterable[Json], element: str) -> list[str]:
    return [
        ref
        for item in items
        if (ref := _local_reference((item.get(element) or {}).get("reference")))
    ]


def _local_reference(reference: object) -> str | None:
    """`Type/id` (a version suffix dropped), or None for anything else (absolute, `#contained`,
    conditional, a logical identifier)."""
    if not isinstance(reference, str):
        return None
    parts = reference.split("/_history/")[0].split("/")
    if len(parts) != 2 or not parts[0][:1].isupper() or not parts[1] or "?" in reference:
        return None
    return reference.split("/_history/")[0]


def _ref(resource: Json) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _escaped(value: str) -> str:
    """A search value with FHIR's reserved characters escaped (search.html#escaping)."""
    for character in ("\\", ",", "$", "|"):
        value = value.replace(character, f"\\{character}")
    return value
