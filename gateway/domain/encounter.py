"""An encounter: a clinic visit, an appointment, a telehealth call, a hospital stay.

The seed systems' appointment type lives in `types`, its status in `status`, the clinician seen
in `participants`, the facility in `service_provider` or `locations`.
"""

from __future__ import annotations

from gateway.domain.base import Derived, FhirRecord, TimeRange
from gateway.domain.elements import CodeableConcept, Coding, Element, Identifier, Period, Reference


class EncounterParticipant(Element):
    type: list[CodeableConcept] | None = None
    period: Period | None = None
    individual: Reference | None = None


class EncounterLocation(Element):
    location: Reference
    status: str | None = None
    period: Period | None = None


class EncounterRecord(FhirRecord):
    identifiers: list[Identifier] | None = None
    status: str
    encounter_class: Coding
    types: list[CodeableConcept] | None = None
    service_type: CodeableConcept | None = None
    subject: Reference | None = None
    participants: list[EncounterParticipant] | None = None
    appointments: list[Reference] | None = None
    period: Period | None = None
    reason_codes: list[CodeableConcept] | None = None
    reason_references: list[Reference] | None = None
    locations: list[EncounterLocation] | None = None
    service_provider: Reference | None = None
    part_of: Reference | None = None

    patient_id: Derived[str | None] = None
    when: Derived[TimeRange | None] = None
    practitioner: Derived[str | None] = None
    facility: Derived[str | None] = None
