"""Encounter <-> `EncounterRecord`. https://hl7.org/fhir/R4/encounter.html"""

from __future__ import annotations

from gateway.domain.encounter import EncounterRecord
from mappers.base import ResourceMapper, domain_mapper

MAPPER: ResourceMapper[EncounterRecord] = domain_mapper("Encounter", EncounterRecord)
