"""An encounter: a clinic visit, an appointment, a telehealth call, a hospital stay.

https://hl7.org/fhir/R4/encounter.html. The seed systems' appointment type lives in `types`,
its status in `status` (R4 encounter-status), the practitioner in `participants`, the facility in
`service_provider` or `locations`.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from gateway.domain.base import FhirRecord, TimeRange, patient_id_of
from gateway.domain.elements import (
    CLINICIANS,
    CodeableConcept,
    Coding,
    Element,
    Identifier,
    Period,
    Reference,
)


class EncounterParticipant(Element):
    type: list[CodeableConcept] | None = None
    period: Period | None = None
    individual: Reference | None = None


class EncounterLocation(Element):
    location: Reference
    status: str | None = None
    period: Period | None = None


class EncounterRecord(FhirRecord):
    derived_fields: ClassVar[frozenset[str]] = frozenset(
        {"patient_id", "when", "practitioner", "facility"}
    )

    identifiers: list[Identifier] | None = Field(default=None, alias="identifier")
    status: str
    encounter_class: Coding = Field(alias="class")
    types: list[CodeableConcept] | None = Field(default=None, alias="type")
    service_type: CodeableConcept | None = Field(default=None, alias="serviceType")
    subject: Reference | None = None
    participants: list[EncounterParticipant] | None = Field(default=None, alias="participant")
    appointments: list[Reference] | None = Field(default=None, alias="appointment")
    period: Period | None = None
    reason_codes: list[CodeableConcept] | None = Field(default=None, alias="reasonCode")
    reason_references: list[Reference] | None = Field(default=None, alias="reasonReference")
    locations: list[EncounterLocation] | None = Field(default=None, alias="location")
    service_provider: Reference | None = Field(default=None, alias="serviceProvider")
    part_of: Reference | None = Field(default=None, alias="partOf")

    patient_id: str | None = None
    when: TimeRange | None = None
    practitioner: str | None = None
    facility: str | None = None

    def derive(self) -> None:
        self.patient_id = patient_id_of(self.subject)
        self.when = TimeRange.of(self.period)
        self.practitioner = self._practitioner()
        places = [self.service_provider] + [loc.location for loc in self.locations or []]
        self.facility = next(
            (
                ref.display or ref.reference
                for ref in places
                if ref and (ref.display or ref.reference)
            ),
            None,
        )

    def _practitioner(self) -> str | None:
        """The clinician seen: a Practitioner or PractitionerRole participant first, else one
        known only by name (a display without reference or type).

        Never a RelatedPerson or Patient, who take part as interpreters, parents or the patient.
        """
        individuals = [p.individual for p in self.participants or [] if p.individual]
        clinicians = [i.label() for i in individuals if i.points_to(*CLINICIANS)]
        named = [i.display for i in individuals if not (i.reference or i.type)]
        return next((label for label in [*clinicians, *named] if label), None)
