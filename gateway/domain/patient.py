"""A patient as the seed systems record one: names, sex, birth date, contacts, insurance.

https://hl7.org/fhir/R4/patient.html
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from gateway.domain.base import FhirRecord, Json
from gateway.domain.elements import (
    Address,
    CodeableConcept,
    ContactPoint,
    Element,
    HumanName,
    Identifier,
    Reference,
)
from gateway.domain.time import FhirDateTime

CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"


class PatientContact(Element):
    relationship: list[CodeableConcept] | None = None
    name: HumanName | None = None
    telecom: list[ContactPoint] | None = None
    address: Address | None = None
    gender: str | None = None
    organization: Reference | None = None

    def is_emergency(self) -> bool:
        """v2-0131 `C` (Emergency Contact), or a relationship whose text says so."""
        for relationship in self.relationship or []:
            if relationship.has_code(CONTACT_ROLE, "C"):
                return True
            if "emergency" in (relationship.label() or "").lower():
                return True
        return False

    def relationship_label(self) -> str | None:
        """How the contact relates to the patient, preferring what the emergency role leaves.

        The v2-0131 `C` coding only marks the contact for emergencies (`is_emergency`), so a
        label without it wins: `C` beside `daughter` gives `daughter`. `C` alone gives its own
        label, `Emergency Contact` or `C`.
        """
        concepts = self.relationship or []
        besides_role = [c.without(CONTACT_ROLE, "C") for c in concepts]
        return next((label for c in [*besides_role, *concepts] if (label := c.label())), None)


class EmergencyContact(BaseModel):
    name: str | None = None
    relationship: str | None = None
    phone: str | None = None


class Insurance(BaseModel):
    """A policy, read from a Coverage the Patient contains (payor, subscriber id, group)."""

    provider: str | None = None
    policy_number: str | None = None
    group_number: str | None = None


class PatientRecord(FhirRecord):
    derived_fields: ClassVar[frozenset[str]] = frozenset({"emergency_contacts", "insurance"})

    identifiers: list[Identifier] | None = Field(default=None, alias="identifier")
    active: bool | None = None
    names: list[HumanName] | None = Field(default=None, alias="name")
    telecom: list[ContactPoint] | None = None
    sex: str | None = Field(default=None, alias="gender")
    birth_date: FhirDateTime | None = Field(default=None, alias="birthDate")
    deceased: bool | None = Field(default=None, alias="deceasedBoolean")
    deceased_at: FhirDateTime | None = Field(default=None, alias="deceasedDateTime")
    addresses: list[Address] | None = Field(default=None, alias="address")
    marital_status: CodeableConcept | None = Field(default=None, alias="maritalStatus")
    contacts: list[PatientContact] | None = Field(default=None, alias="contact")
    general_practitioners: list[Reference] | None = Field(default=None, alias="generalPractitioner")
    managing_organization: Reference | None = Field(default=None, alias="managingOrganization")

    emergency_contacts: list[EmergencyContact] | None = None
    insurance: list[Insurance] | None = None

    def derive(self) -> None:
        self.emergency_contacts = [
            EmergencyContact(
                name=_name_text(contact.name),
                relationship=contact.relationship_label(),
                phone=next(
                    (t.value for t in contact.telecom or [] if t.system in ("phone", "sms")), None
                ),
            )
            for contact in self.contacts or []
            if contact.is_emergency()
        ] or None
        self.insurance = [
            _insurance(resource)
            for resource in self.fhir_rest.get("contained", [])
            if resource.get("resourceType") == "Coverage"
        ] or None


def _name_text(name: HumanName | None) -> str | None:
    if name is None:
        return None
    if name.text:
        return name.text
    parts = [p for p in (name.given or []) if p] + ([name.family] if name.family else [])
    return " ".join(parts) or None


def _insurance(coverage: Json) -> Insurance:
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
