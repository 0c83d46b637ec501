"""A patient's FHIR as the twin's rows: the User (whole when the app sent it, partial for an
EHR's patient), the events it sent, and the events an EHR's resources make
(mappers.apps.medical_twin.ehr)."""

from __future__ import annotations

from mappers.apps.medical_twin import ehr, user
from mappers.apps.medical_twin.events import own_events
from mappers.apps.view import Exported, FhirView


def from_fhir(view: FhirView) -> list[Exported]:
    found = user.from_fhir(view)
    user_id = view.native_id(view.patient, "User") or view.patient["id"]
    rows = [Exported("User", found, (view.ref(view.patient),))] if found else []
    return [*rows, *own_events(view, user_id), *ehr.foreign_events(view, user_id)]
