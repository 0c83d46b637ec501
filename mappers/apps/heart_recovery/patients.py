"""`Patients` (a therapist's profile of a patient) -> a Patient, a CareTeam naming the
therapist, and the patient's clinical facts.

The profile's own Patient carries the row's identifier and `link`s (seealso) to the Patient of
the patient's app account (`userId`); the facts (allergies, conditions, surgery, insurance,
goals, social history, discharge summary) are about that person, so their subject is the
account's Patient when there is one (they then show in its compartment), else the profile's.
Each fact is a resource of its own with the row's identifier and a fixed part name, so the way
back finds it by id. https://hl7.org/fhir/R4/patient.html#links
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, RowProblem
from mappers.apps.concepts import translate
from mappers.apps.heart_recovery import patient_facts
from mappers.apps.heart_recovery.common import patient_ref
from mappers.apps.heart_recovery.fhir import compact, point
from mappers.apps.heart_recovery.models import Patient
from mappers.apps.heart_recovery.patient_fields import FIELDS
from mappers.apps.native import fhir_date

__all__ = ["CONTACT_TIME", "ENTITY", "GENDER"]

GENDER = "http://fhir-gateway.org/fhir/ConceptMap/heart-recovery-gender"
CONTACT_TIME = "http://fhir-gateway.org/fhir/StructureDefinition/preferred-contact-time"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
SYSTEMS = {"phone": "phone", "email": "email", "text": "sms"}  # preferredContactMethod


def to_fhir(row: Patient, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Patients", row.id)
    subject = identity.reference("Patient")
    if row.userId is not None:
        _expect(ctx, "userId", row.userId, "Patient")
        subject = patient_ref(ctx, row.userId)
    therapist = _therapist(ctx, row.therapistId)
    patient = compact({
        "resourceType": "Patient",
        "id": identity.resource_id(),
        "identifier": [identity.identifier()],
        "extension": [{"url": CONTACT_TIME, "valueCode": row.bestTimeToContact}]
        if row.bestTimeToContact
        else None,
        "active": row.isActive,
        "name": [{"use": "official", "text": row.name, "family": row.lastName,
                  "given": [row.firstName]}],
        "telecom": _telecom(row),
        "gender": translate(GENDER, row.gender) if row.gender else None,
        "birthDate": fhir_date(row.dateOfBirth) if row.dateOfBirth else None,
        "address": [{"line": [row.streetAddress], "city": row.city, "state": row.state,
                     "postalCode": row.postalCode, "country": row.country}],
        "contact": _contacts(row),
        "generalPractitioner": [therapist] if therapist["reference"].startswith("Practitioner/") else None,
        "link": [{"other": subject, "type": "seealso"}] if row.userId is not None else None,
    })  # fmt: skip
    team = {"resourceType": "CareTeam", "id": identity.resource_id("therapist"),
            "identifier": [identity.identifier()], "status": "active", "subject": subject,
            "participant": [{"role": [{"text": "therapist"}], "member": therapist}]}  # fmt: skip
    return [patient, team, *patient_facts.facts(row, identity, subject)]


def _therapist(ctx: MappingContext, user_id: int) -> Json:
    """The therapist account's resource: a Practitioner, or a Patient when the account kept the
    seed's default role (CareTeam.participant.member takes either; generalPractitioner only the
    first)."""
    user = ctx.resource("Users", user_id)
    kind = user["resourceType"] if user is not None else "Practitioner"
    return ctx.identity("Users", user_id).reference(kind)


def _expect(ctx: MappingContext, field_name: str, user_id: int, resource_type: str) -> None:
    """A `Users` foreign key must name an account of the right kind (patient or clinician)."""
    user = ctx.resource("Users", user_id)
    if user is not None and user["resourceType"] != resource_type:
        kind = "a patient" if resource_type == "Patient" else "a therapist or admin"
        raise RowProblem(field_name, f"`Users` row `{user_id}` is not {kind}.")


def _telecom(row: Patient) -> list[Json]:
    """Each ContactPoint keeps its column as its element id; `rank` 1 marks the preferred way
    (contactpoint.html#rank), `sms` standing for the app's `text`."""
    preferred = SYSTEMS.get(row.preferredContactMethod or "")
    points: list[Json] = [
        {"id": "primaryPhone", "system": "phone", "value": row.primaryPhone,
         "use": row.primaryPhoneType},
        {"id": "alternatePhone", "system": "phone", "value": row.alternatePhone},
        {"id": "email", "system": "email", "value": row.email},
    ]  # fmt: skip
    points = [p for p in points if p["value"] is not None or p.get("use")]
    if preferred == "sms":
        points.append(
            {"id": "text", "system": "sms", "value": row.primaryPhone or row.alternatePhone}
        )
    points = [{k: v for k, v in p.items() if v is not None} for p in points]
    if preferred:
        chosen = next((p for p in points if p["system"] == preferred), None)
        if chosen is None:
            chosen = {"id": preferred, "system": preferred}
            points.append(chosen)
        chosen["rank"] = 1
    return points


def _contacts(row: Patient) -> list[Json]:
    emergency = {"coding": [{"system": CONTACT_ROLE, "code": "C", "display": "Emergency Contact"}]}
    caregiver = {"coding": [{"system": CONTACT_ROLE, "code": "CP", "display": "Contact person"}],
                 "text": "Primary caregiver"}  # fmt: skip
    contacts: list[Json] = [
        {"id": "emergencyContact1",
         "relationship": [emergency, {"text": row.emergencyContact1Relationship}],
         "name": {"text": row.emergencyContact1Name},
         "telecom": [point("phone", row.emergencyContact1Phone)]},
        {"id": "emergencyContact2", "relationship": [emergency],
         "name": {"text": row.emergencyContact2Name},
         "telecom": [point("phone", row.emergencyContact2Phone)]},
        {"id": "primaryCaregiver", "relationship": [caregiver],
         "name": {"text": row.primaryCaregiver}},
    ]  # fmt: skip
    return [c for c in contacts if _says_something(c)]


def _says_something(contact: Json) -> bool:
    """A contact with a name, a phone or a relationship of its own (not only the fixed code)."""
    own = [r for r in contact["relationship"] if "coding" not in r and r.get("text")]
    return bool(own or compact({k: contact.get(k) for k in ("name", "telecom")}))


ENTITY = Entity(
    name="Patients",
    model=Patient,
    to_fhir=to_fhir,
    primary=("Patient",),
    foreign_keys={"therapistId": "Users", "userId": "Users"},
    fields=FIELDS,
)
