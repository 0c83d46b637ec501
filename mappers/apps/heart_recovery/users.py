"""`Users` -> Patient (role patient, the seed's default) or Practitioner (therapist, admin).

The doctor a patient names (`doctorName`, `doctorPhone`) has no row of its own, so it travels as
a contained Practitioner that `generalPractitioner` points at; the emergency contact is a
Patient.contact with relationship C. A clinician's account has neither on Practitioner (R4 gives
it no contact and no doctor): a therapist's emergency contact and doctor are not kept.
An EHR's patient, and the general practitioner its profile takes as therapist, come back as
partial rows: what FHIR has, without the NOT NULL email only the app records.
https://hl7.org/fhir/R4/patient.html
"""

from __future__ import annotations

from pydantic import ValidationError

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, home, no_home
from mappers.apps.heart_recovery.fhir import BOOKKEEPING, compact, first, point
from mappers.apps.heart_recovery.models import User
from mappers.apps.native import Identity, stable_int
from mappers.apps.view import Exported, FhirView, partial_row
from mappers.apps.view import concept_text as text_of

__all__ = ["ENTITY", "ehr_therapist", "rows", "user_id", "user_row"]

TIMEZONE = "http://hl7.org/fhir/StructureDefinition/tz-code"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
EMERGENCY = {"coding": [{"system": CONTACT_ROLE, "code": "C", "display": "Emergency Contact"}]}
DOCTOR = "doctor"  # the contained Practitioner's local id


def to_fhir(row: User, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Users", row.id)
    common: Json = {
        "id": identity.resource_id(),
        "identifier": [identity.identifier()],
        "extension": [{"url": TIMEZONE, "valueCode": row.timezone}] if row.timezone else None,
        "name": [{"text": row.name}],
        "telecom": [
            point("email", row.email),
            point("phone", row.phoneNumber),
        ],
        "photo": [{"url": row.profilePhoto}],
    }
    if row.role in ("therapist", "admin"):
        role = {
            "resourceType": "PractitionerRole",
            "id": identity.resource_id("role"),
            "identifier": [identity.identifier()],
            "practitioner": identity.reference("Practitioner"),
            "code": [{"text": row.role}],
        }
        return [compact({"resourceType": "Practitioner", **common}), role]
    doctor = compact({
        "resourceType": "Practitioner",
        "id": DOCTOR,
        "name": [{"text": row.doctorName}],
        "telecom": [point("phone", row.doctorPhone)],
    })  # fmt: skip
    has_doctor = bool(row.doctorName or row.doctorPhone)
    return [compact({
        "resourceType": "Patient",
        **common,
        "contact": [{
            "relationship": [EMERGENCY],
            "name": {"text": row.emergencyContact},
            "telecom": [point("phone", row.emergencyPhone)],
        }] if row.emergencyContact or row.emergencyPhone else None,
        "contained": [doctor] if has_doctor else None,
        "generalPractitioner": [{"reference": f"#{DOCTOR}"}] if has_doctor else None,
    })]  # fmt: skip


def _telecom(resource: Json, system: str) -> str | None:
    found = first(resource.get("telecom", ()), system=system)
    return found.get("value") if found else None


def _name(resource: Json) -> str | None:
    for name in resource.get("name", ()):
        if name.get("text"):
            return str(name["text"])
        parts = [*name.get("given", ()), name.get("family")]
        if any(parts):
            return " ".join(p for p in parts if p)
    return None


def _role(view: FhirView, resource: Json, native_id: int) -> str | None:
    """patient for a Patient; a clinician's role from its PractitionerRole, None when that is
    not gathered (it is outside any patient's compartment)."""
    if resource["resourceType"] == "Patient":
        return "patient"
    ref = f"PractitionerRole/{Identity.of(view.app, 'Users', native_id).resource_id('role')}"
    role = text_of(next(iter((view.get(ref) or {}).get("code", ())), None))
    return role if role in ("therapist", "admin") else None


def _values(resource: Json, native_id: int, role: str | None) -> Json:
    contact: Json = next(
        (c for c in resource.get("contact", ()) if EMERGENCY in c.get("relationship", ())), {}
    )
    doctor: Json = next((c for c in resource.get("contained", ()) if c.get("id") == DOCTOR), {})
    zone = first(resource.get("extension", ()), url=TIMEZONE)
    return {
        "id": native_id,
        "email": _telecom(resource, "email"),
        "name": _name(resource),
        "phoneNumber": _telecom(resource, "phone"),
        "emergencyContact": contact.get("name", {}).get("text"),
        "emergencyPhone": _telecom(contact, "phone"),
        "doctorName": _name(doctor),
        "doctorPhone": _telecom(doctor, "phone"),
        "profilePhoto": next((p["url"] for p in resource.get("photo", ()) if p.get("url")), None),
        "timezone": zone.get("valueCode") if zone else None,
        "role": role,
    }


def user_row(view: FhirView, resource: Json, native_id: int) -> User | None:
    """The Users row an own Patient or Practitioner stands for; None without the NOT NULL
    email or name, or for a clinician whose role is not gathered."""
    role = _role(view, resource, native_id)
    if role is None:
        return None
    values = {k: v for k, v in _values(resource, native_id, role).items() if v is not None}
    try:
        return User.model_validate(values)
    except ValidationError:
        return None


def ehr_therapist(view: FhirView, patient: Json) -> Json | None:
    """The Practitioner an EHR's patient names first as general practitioner: the clinician
    its `Patients` row takes as `therapistId` (to_fhir writes a therapist account there)."""
    doctor = next(
        (view.get(g) for g in patient.get("generalPractitioner", ()) if view.get(g)), None
    )
    return doctor if doctor is not None and doctor["resourceType"] == "Practitioner" else None


def user_id(view: FhirView, resource: Json) -> int:
    """The Users id of a Patient/Practitioner: its identifier, else a stable stand-in."""
    native = view.native_id(resource, "Users")
    return int(native) if native is not None else stable_int(FhirView.ref(resource))


def rows(view: FhirView) -> list[Exported]:
    """The app's accounts gathered (the patient, clinicians with their role), and for an EHR's
    patient its account and its therapist's, as Users rows."""
    return [*_own_rows(view), *_foreign_rows(view)]


def _own_rows(view: FhirView) -> list[Exported]:
    out: list[Exported] = []
    for resource in [view.patient, *view.of_type("Practitioner")]:
        native = view.native_id(resource, "Users")
        if native is None:
            continue  # an EHR's person (_foreign_rows), a clinician or profile that is no account
        row = user_row(view, resource, int(native))
        if row is not None:
            role_ref = (
                f"PractitionerRole/{Identity.of(view.app, 'Users', row.id).resource_id('role')}"
            )
            extra = (role_ref,) if row.role in ("therapist", "admin") else ()
            out.append(Exported("Users", row, (view.ref(resource), *extra)))
    return out


def _foreign_rows(view: FhirView) -> list[Exported]:
    """An EHR's patient (role patient) and the general practitioner its profile takes as
    therapist (role therapist), named by `stable_int` of their reference. They carry what FHIR
    has: an EHR records no email (the NOT NULL column the app's login needs), so the rows are
    partial and a re-send asks for it. A Patient that is a profile (`Patients`) is no account."""
    patient = view.patient
    if view.native_id(patient, "Users") or view.native_id(patient, "Patients"):
        return []
    therapist = ehr_therapist(view, patient)
    people = [(patient, "patient"), *([(therapist, "therapist")] if therapist else [])]
    out: list[Exported] = []
    for resource, role in people:
        row = partial_row(User, _values(resource, user_id(view, resource), role))
        if row is not None:
            out.append(Exported("Users", row, (view.ref(resource),)))
    return out


ENTITY = Entity(
    name="Users",
    model=User,
    to_fhir=to_fhir,
    primary=("Patient", "Practitioner"),
    secrets=("password",),
    fields={
        "id": home("Patient/Practitioner.identifier (system …/sid/heart-recovery/Users)"),
        "email": home("Patient/Practitioner.telecom (system email)"),
        "password": no_home("a bcrypt hash: a secret, dropped and reported, never stored"),
        "name": home("Patient/Practitioner.name.text"),
        "phoneNumber": home("Patient/Practitioner.telecom (system phone)"),
        "emergencyContact": home("Patient.contact.name.text (relationship v2-0131 C)"),
        "emergencyPhone": home("Patient.contact.telecom (relationship v2-0131 C, phone)"),
        "doctorName": home("Patient.generalPractitioner -> contained Practitioner.name.text"),
        "doctorPhone": home("Patient.generalPractitioner -> contained Practitioner.telecom"),
        "profilePhoto": home("Patient/Practitioner.photo.url"),
        "timezone": home("Patient/Practitioner.extension tz-code (IANA time zone)"),
        "role": home(
            "the resource type: Patient for patient (the default); Practitioner + "
            "PractitionerRole.code.text for therapist and admin"
        ),
        "createdAt": no_home(BOOKKEEPING),
        "updatedAt": no_home(BOOKKEEPING),
    },
)
