"""A patient as the seed systems record one: names, sex, birth date, contacts, insurance."""

from __future__ import annotations

from pydantic import BaseModel

from gateway.domain.base import Derived, FhirRecord
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


class PatientContact(Element):
    """A person or organisation to contact about the patient (next of kin, guardian, ...)."""

    relationship: list[CodeableConcept] | None = None
    name: HumanName | None = None
    telecom: list[ContactPoint] | None = None
    address: Address | None = None
    gender: str | None = None
    organization: Reference | None = None


class EmergencyContact(BaseModel):
    name: str | None = None
    relationship: str | None = None
    phone: str | None = None


class Insurance(BaseModel):
    """A policy: who pays, the subscriber's policy number, the group."""

    provider: str | None = None
    policy_number: str | None = None
    group_number: str | None = None


class PatientRecord(FhirRecord):
    identifiers: list[Identifier] | None = None
    active: bool | None = None
    names: list[HumanName] | None = None
    telecom: list[ContactPoint] | None = None
    sex: str | None = None
    birth_date: FhirDateTime | None = None
    deceased: bool | None = None
    deceased_at: FhirDateTime | None = None
    addresses: list[Address] | None = None
    marital_status: CodeableConcept | None = None
    contacts: list[PatientContact] | None = None
    general_practitioners: list[Reference] | None = None
    managing_organization: Reference | None = None

    emergency_contacts: Derived[list[EmergencyContact] | None] = None
    insurance: Derived[list[Insurance] | None] = None
