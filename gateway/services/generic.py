"""The R4 resource types kept whole (`GenericRecord`): which they are.

A type is kept when R4 defines it and fhir.resources can validate it: R4B, which stands in for
R4, dropped 18 R4 types (ten MedicinalProduct*, six Substance* details, Effect- and
RiskEvidenceSynthesis), and rewrote Evidence so that no resource satisfies both (UNVALIDATABLE);
those are refused as unknown. Each type has its own collection (gateway.store.indexes).
"""

from __future__ import annotations

from functools import cache

import fhir_profiles
from mappers.r4 import has_model
from mappers.registry import MAPPERS

# R4 requires Evidence.exposureBackground, which R4B's model forbids (it requires
# variableDefinition, unknown to R4). A test checks every type's required elements both ways.
UNVALIDATABLE = frozenset({"Evidence"})


@cache
def generic_types() -> frozenset[str]:
    return frozenset(
        t
        for t in fhir_profiles.resource_types()
        if t not in MAPPERS and t not in UNVALIDATABLE and has_model(t)
    )


def kept_types() -> list[str]:
    """Every resource type this server stores: our four and those kept whole, sorted."""
    return sorted({*MAPPERS, *generic_types()})
