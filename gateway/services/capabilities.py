"""The CapabilityStatement, generated from what is implemented (capabilitystatement.html)."""

from __future__ import annotations

from typing import Any

from gateway import __doc__ as gateway_doc
from mappers.base import FhirJson
from mappers.r4 import FHIR_VERSION
from mappers.registry import MAPPERS

SOFTWARE_VERSION = "0.1.0"
INSTANCE_INTERACTIONS = ("read", "vread", "update", "delete", "history-instance", "create")


def capability_statement(*, base_url: str, date: str) -> FhirJson:
    resources: list[dict[str, Any]] = [
        {
            "type": resource_type,
            "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
            "interaction": [{"code": code} for code in INSTANCE_INTERACTIONS],
            "versioning": "versioned-update",
            "readHistory": True,
            "updateCreate": True,
            "conditionalCreate": False,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
        }
        for resource_type in sorted(MAPPERS)
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": "fhir-gateway", "version": SOFTWARE_VERSION},
        "implementation": {"description": (gateway_doc or "").strip(), "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [{"mode": "server", "resource": resources}],
    }
