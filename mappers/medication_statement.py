"""MedicationStatement <-> `MedicationStatementRecord`. https://hl7.org/fhir/R4/medicationstatement.html"""

from __future__ import annotations

from gateway.domain.medication_statement import MedicationStatementRecord
from mappers.base import ResourceMapper, domain_mapper

MAPPER: ResourceMapper[MedicationStatementRecord] = domain_mapper(
    "MedicationStatement", MedicationStatementRecord
)
