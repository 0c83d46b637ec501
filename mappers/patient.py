"""Patient <-> `PatientRecord`. https://hl7.org/fhir/R4/patient.html"""

from __future__ import annotations

from gateway.domain.patient import PatientRecord
from mappers.base import ResourceMapper, domain_mapper

MAPPER: ResourceMapper[PatientRecord] = domain_mapper("Patient", PatientRecord)
