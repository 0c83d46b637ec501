"""The record of every resource type the domain does not model (issue 4).

Organization, Practitioner, Condition, Claim and the other R4 types are kept whole: no typed
fields, the resource as sent (less `id` and the service's version meta) in `fhir_rest`, like the
unmodelled rest of our four rich types. Search reads them through `fhir_rest.*` paths and the
values the index computes at write time.
"""

from __future__ import annotations

from gateway.domain.base import FhirRecord


class GenericRecord(FhirRecord):
    """A resource of any type, verbatim in `fhir_rest`."""
