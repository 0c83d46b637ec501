"""MedRecord AI's `from_fhir`: one patient's FHIR as the app's rows, in the seed's order.

Rows point at each other by native id, so the way back goes in dependency order: providers,
the patient, then appointments (which need their provider), the visits' notes and vital
signs (which need their appointment), and the notes' symptoms and prescriptions.
"""

from __future__ import annotations

from mappers.apps.medrecord.back_clinical import allergies_back, conditions_back
from mappers.apps.medrecord.back_people import patients_back, providers_back
from mappers.apps.medrecord.back_record import prescriptions_back, records_back, symptoms_back
from mappers.apps.medrecord.back_visits import appointments_back, vitals_back
from mappers.apps.medrecord.reading import row_id
from mappers.apps.view import Exported, FhirView

__all__ = ["from_fhir"]


def from_fhir(view: FhirView) -> list[Exported]:
    providers = providers_back(view)
    provider_ids = {row_id(p) for p in providers}
    appointments = appointments_back(view, provider_ids)
    visits: dict[str, str] = {}
    for exported in appointments:
        for source in exported.sources:
            resource = view.get(source)
            if resource is None:
                continue
            if resource["resourceType"] == "Encounter":
                visits[source] = row_id(exported)
            else:  # the app's Appointment: its Encounter is the one pointing at it
                for encounter in view.of_type("Encounter"):
                    if source in (a.get("reference") for a in encounter.get("appointment", ())):
                        visits[view.ref(encounter)] = row_id(exported)
    return [
        *providers,
        *patients_back(view, provider_ids),
        *allergies_back(view),
        *conditions_back(view),
        *appointments,
        *records_back(view, visits),
        *symptoms_back(view),
        *prescriptions_back(view),
        *vitals_back(view, visits),
    ]
