"""Beanie documents: the records plus identity and version, with the indexes searches use.

Indexes name the fields search filters read (gateway.search): `index.*` values computed at
write time and typed paths. A compound index holds at most one array field (MongoDB refuses
"parallel arrays"), which is why single-valued search values are stored as scalars.

Keys are the FHIR ids (`_id`); `version_id` and `last_updated` are the service's, never the
client's. Every version of every resource is also kept in `history` as FHIR JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pymongo
from beanie import Document
from pydantic import BaseModel, ConfigDict

from gateway.domain.encounter import EncounterRecord
from gateway.domain.medication_statement import MedicationStatementRecord
from gateway.domain.observation import ObservationRecord
from gateway.domain.patient import PatientRecord

ASC = pymongo.ASCENDING


def _index(*keys: str, name: str | None = None) -> pymongo.IndexModel:
    return pymongo.IndexModel([(k, ASC) for k in keys], name=name)


class _StoredSettings:
    """Beanie settings every stored shape shares: absent elements are not written as nulls."""

    keep_nulls = False
    use_revision = False


class Versioned(BaseModel):
    """What the service owns on every stored resource; `written_by` is the interaction that wrote
    the current version (history shows it)."""

    version_id: int
    last_updated: datetime
    written_by: Literal["POST", "PUT"]


class PatientDocument(PatientRecord, Versioned, Document):
    id: str  # type: ignore[assignment]

    class Settings(_StoredSettings):
        name = "patients"
        indexes = [  # noqa: RUF012 (Beanie reads this class attribute)
            _index("last_updated"),
            _index("index.family"),
            _index("index.name"),
            _index("identifiers.system", "identifiers.value"),
            _index("index.birthdate.start"),
            _index("telecom.value"),
        ]


class EncounterDocument(EncounterRecord, Versioned, Document):
    id: str  # type: ignore[assignment]

    class Settings(_StoredSettings):
        name = "encounters"
        indexes = [  # noqa: RUF012
            _index("last_updated"),
            _index("index.patient", "index.date.start"),
            _index("identifiers.system", "identifiers.value"),
        ]


class ObservationDocument(ObservationRecord, Versioned, Document):
    id: str  # type: ignore[assignment]

    class Settings(_StoredSettings):
        name = "observations"
        indexes = [  # noqa: RUF012
            _index("last_updated"),
            _index("index.patient", "code.coding.code", "index.date.start"),
            _index("index.patient", "categories.coding.code", "index.date.start"),
            _index("code.coding.code", "value_quantity.value"),
            _index("index.encounter"),
            _index("identifiers.system", "identifiers.value"),
        ]


class MedicationStatementDocument(MedicationStatementRecord, Versioned, Document):
    id: str  # type: ignore[assignment]

    class Settings(_StoredSettings):
        name = "medication_statements"
        indexes = [  # noqa: RUF012
            _index("last_updated"),
            _index("index.patient", "status"),
            _index("medication_concept.coding.code"),
            _index("identifiers.system", "identifiers.value"),
        ]


class HistoryDocument(Document):
    """One version of one resource as FHIR JSON bytes; `_id` is `Type/id/_history/vid`."""

    model_config = ConfigDict(extra="ignore")

    id: str  # type: ignore[assignment]
    resource_type: str
    resource_id: str
    version_id: int
    last_updated: datetime
    method: Literal["POST", "PUT", "DELETE"]
    resource: bytes | None = None

    class Settings(_StoredSettings):
        name = "history"
        indexes = [  # noqa: RUF012
            _index("resource_type", "resource_id", "version_id"),
            _index("resource_type", "last_updated"),
        ]


DOCUMENTS: dict[str, type[Document]] = {
    "Patient": PatientDocument,
    "Encounter": EncounterDocument,
    "Observation": ObservationDocument,
    "MedicationStatement": MedicationStatementDocument,
}
ALL_DOCUMENTS: list[type[Document]] = [*DOCUMENTS.values(), HistoryDocument]
