"""Patient <-> `PatientRecord`: the FHIR name of every field, and the derived views
(emergency contacts, insurance). https://hl7.org/fhir/R4/patient.html"""

from __future__ import annotations

from gateway.domain.patient import EmergencyContact, Insurance, PatientContact, PatientRecord
from gateway.jsonio import Json
from mappers import datatypes
from mappers.base import ResourceMapper, record_mapper
from mappers.datatypes import has_code, label, name_text, without
from mappers.names import FhirNames, NameTable

CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"

NAMES: NameTable = {
    **datatypes.NAMES,
    PatientRecord: FhirNames.of(
        "Patient",
        "active",
        "telecom",
        identifiers="identifier",
        names="name",
        sex="gender",
        birth_date="birthDate",
        deceased="deceasedBoolean",
        deceased_at="deceasedDateTime",
        addresses="address",
        marital_status="maritalStatus",
        contacts="contact",
        general_practitioners="generalPractitioner",
        managing_organization="managingOrganization",
    ),
    PatientContact: FhirNames.of(
        "Patient.contact", "relationship", "name", "telecom", "address", "gender", "organization"
    ),
}


def derive(record: PatientRecord) -> None:
    record.emergency_contacts = [
        EmergencyContact(
            name=name_text(contact.name),
            relationship=relationship_label(contact),
            phone=next(
                (t.value for t in contact.telecom or [] if t.system in ("phone", "sms")), None
            ),
        )
        for contact in record.contacts or []
        if is_emergency(contact)
    ] or None
    record.insurance = [
        insurance(resource)
        for resource in record.fhir_rest.get("contained", [])
        if resource.get("resourceType") == "Coverage"
    ] or None


def is_emergency(contact: PatientContact) -> bool:
    """v2-0131 `C` (Emergency Contact), or a relationship whose text says so."""
    return any(
        has_code(relationship, CONTACT_ROLE, "C")
        or "emergency" in (label(relationship) or "").lower()
        for relationship in contact.relationship or []
    )


def relationship_label(contact: PatientContact) -> str | None:
    """How the contact relates to the patient, preferring what the emergency role leaves.

    The v2-0131 `C` coding only marks the contact for emergencies (`is_emergency`), so a label
    without it wins: `C` beside `daughter` gives `daughter`. `C` alone gives its own label,
    `Emergency Contact` or `C`.
    """
    concepts = contact.relationship or []
    besides_role = [without(c, CONTACT_ROLE, "C") for c in concepts]
    return next((text for c in [*besides_role, *concepts] if (text := label(c))), None)


def insurance(coverage: Json) -> Insurance:
    """A policy read from a contained Coverage: the payor, the subscriber id, the group class."""
    payors = coverage.get("payor") or []
    group = next(
        (
            c.get("value")
            for c in coverage.get("class", [])
            if any(cd.get("code") == "group" for cd in c.get("type", {}).get("coding", []))
        ),
        None,
    )
    return Insurance(
        provider=payors[0].get("display") if payors else None,
        policy_number=coverage.get("subscriberId"),
        group_number=group,
    )


MAPPER: ResourceMapper[PatientRecord] = record_mapper(
    "Patient", PatientRecord, names=NAMES, texts=datatypes.TEXTS, derive=derive
)
