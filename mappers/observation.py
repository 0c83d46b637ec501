"""Observation <-> `ObservationRecord`. https://hl7.org/fhir/R4/observation.html"""

from __future__ import annotations

from gateway.domain.observation import ObservationRecord
from mappers.base import ResourceMapper, domain_mapper

MAPPER: ResourceMapper[ObservationRecord] = domain_mapper("Observation", ObservationRecord)
