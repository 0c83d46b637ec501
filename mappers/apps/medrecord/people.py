"""Provider -> Practitioner + PractitionerRole; Patient -> Patient (+ Coverage).

https://hl7.org/fhir/R4/practitioner.html, practitionerrole.html, patient.html, coverage.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.concepts import translate
from mappers.apps.medrecord.common import DATA_ABSENT, cm
from mappers.apps.medrecord.models import Patient, Provider
from mappers.apps.native import fhir_date

__all__ = [
    "EMERGENCY",
    "LICENSE",
    "patient_to_fhir",
    "provider_to_fhir",
]

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
LICENSE = {"coding": [{"system": V2_0203, "code": "MD", "display": "Medical License number"}]}
EMERGENCY = {
    "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
    "code": "C",
    "display": "Emergency Contact",
}


def _telecom(*, phone: str | None, email: str | None = None, use: str) -> list[Json]:
    found = []
    if phone is not None:
        found.append({"system": "phone", "value": phone, "use": use})
    if email is not None:
        found.append({"system": "email", "value": email, "use": use})
    return found


def provider_to_fhir(row: Provider, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Provider", row.id)
    identifiers = [identity.identifier()]
    if row.licenseNumber is not None:
        identifiers.append({"type": LICENSE, "value": row.licenseNumber})
    practitioner: Json = {
        "resourceType": "Practitioner",
        "id": identity.resource_id(),
        "identifier": identifiers,
        "active": True,
        "name": [{"family": row.lastName, "given": [row.firstName]}],
        "telecom": _telecom(phone=row.phone, email=row.email, use="work"),
    }
    if row.specialty is None:
        return [practitioner]
    role: Json = {
        "resourceType": "PractitionerRole",
        "id": identity.resource_id("role"),
        "identifier": [identity.identifier()],
        "active": True,
        "practitioner": identity.reference("Practitioner"),
        "specialty": [{"text": row.specialty}],
    }
    return [practitioner, role]


def patient_to_fhir(row: Patient, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Patient", row.id)
    patient: Json = {
        "resourceType": "Patient",
        "id": identity.resource_id(),
        "identifier": [identity.identifier()],
        "name": [{"family": row.lastName, "given": [row.firstName]}],
        "telecom": _telecom(phone=row.phone, email=row.email, use="home"),
        "gender": translate(cm("medrecord-sex"), row.sex),
        "birthDate": fhir_date(row.dateOfBirth),
        "address": _address(row),
        "contact": [_emergency_contact(row)],
    }
    if row.providerId is not None:
        patient["generalPractitioner"] = [
            ctx.identity("Provider", row.providerId).reference("Practitioner")
        ]
    resources = [{k: v for k, v in patient.items() if v != []}]
    if row.insuranceProvider is not None or row.insurancePolicyNumber is not None:
        resources.append(_coverage(row, ctx))
    return resources


def _address(row: Patient) -> list[Json]:
    address: Json = {"use": "home"}
    if row.address is not None:
        address["line"] = [row.address]
    for key, value in (("city", row.city), ("state", row.state), ("postalCode", row.zipCode)):
        if value is not None:
            address[key] = value
    return [address] if len(address) > 1 else []


def _emergency_contact(row: Patient) -> Json:
    relationship: list[Json] = [{"coding": [EMERGENCY]}]
    if row.emergencyContactRelationship is not None:
        relationship.append({"text": row.emergencyContactRelationship})
    return {
        "relationship": relationship,
        "name": {"text": row.emergencyContactName},
        "telecom": [{"system": "phone", "value": row.emergencyContactPhone}],
    }


def _coverage(row: Patient, ctx: MappingContext) -> Json:
    """The insurance as Coverage: the insurer's name as the payor's display (the app has no
    insurer record to point at), the policy number as the coverage's identifier."""
    identity = ctx.identity("Patient", row.id)
    identifiers = [identity.identifier()]
    if row.insurancePolicyNumber is not None:
        identifiers.append({"use": "official", "value": row.insurancePolicyNumber})
    payor: Json = (
        {"display": row.insuranceProvider}
        if row.insuranceProvider is not None
        else {"extension": [{"url": DATA_ABSENT, "valueCode": "unknown"}]}
    )
    return {
        "resourceType": "Coverage",
        "id": identity.resource_id("coverage"),
        "identifier": identifiers,
        "status": "active",
        "beneficiary": identity.reference("Patient"),
        "payor": [payor],
    }
