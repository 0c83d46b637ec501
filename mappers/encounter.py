"""Encounter <-> `EncounterRecord`: the FHIR name of every field, and the derived views
(patient id, when, practitioner, facility). https://hl7.org/fhir/R4/encounter.html"""

from __future__ import annotations

from gateway.domain.base import TimeRange
from gateway.domain.encounter import EncounterLocation, EncounterParticipant, EncounterRecord
from mappers import datatypes
from mappers.base import ResourceMapper, record_mapper
from mappers.datatypes import CLINICIANS, points_to, reference_label, target_id
from mappers.names import FhirNames, NameTable

NAMES: NameTable = {
    **datatypes.NAMES,
    EncounterRecord: FhirNames.of(
        "Encounter",
        "status",
        "subject",
        "period",
        identifiers="identifier",
        encounter_class="class",
        types="type",
        service_type="serviceType",
        participants="participant",
        appointments="appointment",
        reason_codes="reasonCode",
        reason_references="reasonReference",
        locations="location",
        service_provider="serviceProvider",
        part_of="partOf",
    ),
    EncounterParticipant: FhirNames.of("Encounter.participant", "type", "period", "individual"),
    EncounterLocation: FhirNames.of("Encounter.location", "location", "status", "period"),
}


def derive(record: EncounterRecord) -> None:
    record.patient_id = target_id(record.subject, "Patient")
    record.when = TimeRange.of(record.period)
    record.practitioner = practitioner(record)
    record.facility = facility(record)


def practitioner(record: EncounterRecord) -> str | None:
    """The clinician seen: a Practitioner or PractitionerRole participant first, else one
    known only by name (a display without reference or type).

    Never a RelatedPerson or Patient, who take part as interpreters, parents or the patient.
    """
    individuals = [p.individual for p in record.participants or [] if p.individual]
    clinicians = [reference_label(i) for i in individuals if points_to(i, *CLINICIANS)]
    named = [i.display for i in individuals if not (i.reference or i.type)]
    return next((text for text in [*clinicians, *named] if text), None)


def facility(record: EncounterRecord) -> str | None:
    """Where it took place: the service provider, else the first location, by name or URL."""
    places = [record.service_provider] + [loc.location for loc in record.locations or []]
    return next((label for ref in places if ref and (label := reference_label(ref))), None)


MAPPER: ResourceMapper[EncounterRecord] = record_mapper(
    "Encounter", EncounterRecord, names=NAMES, texts=datatypes.TEXTS, derive=derive
)
