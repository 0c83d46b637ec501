"""The Digital Medical Twin (seed 000_ed86d7a43c3150a7): a personal health timeline.

`User` is the Patient; every `Event` is one or a few resources by its `type` (lab_result,
doctor_visit, medication, intervention, metric). docs/apps/medical-twin.md tells the decisions.
"""

from __future__ import annotations

from mappers.apps.base import AppAdapter, Entity, home, no_home
from mappers.apps.medical_twin import events, user
from mappers.apps.medical_twin.export import from_fhir
from mappers.apps.medical_twin.models import Event, User

__all__ = ["ADAPTER"]

_BOOKKEEPING = no_home("the row's own bookkeeping; FHIR's meta.lastUpdated is the server's")

USER_FIELDS = {
    "id": home("Patient.identifier (system <SID>/medical-twin/User); Patient.id is a UUID v5 of it"),
    "username": home("Patient.identifier (system <SID>/medical-twin/User/username, use secondary)"),
    "passwordHash": no_home("a secret: dropped and reported, never stored"),
    "email": home("Patient.telecom (system email)"),
    "createdAt": _BOOKKEEPING,
    "updatedAt": _BOOKKEEPING,
    "settings": no_home("app preferences (AI provider and model, theme; apiKey is a secret, dropped)"),
}  # fmt: skip

EVENT_FIELDS = {
    "id": home("identifier (system <SID>/medical-twin/Event) of every resource the event makes"),
    "userId": home("subject / patient: Reference(Patient) of the user"),
    "type": home("the resource type: DiagnosticReport, Encounter, MedicationStatement, CarePlan or Observation"),
    "date": home("DiagnosticReport/Observation.effectiveDateTime, Encounter.period.start, MedicationStatement.dateAsserted, CarePlan.created"),
    "title": home("DiagnosticReport.code.text, CarePlan.title; the narrative (text.div) of Encounter, MedicationStatement, Observation"),
    "notes": home("DiagnosticReport.conclusion; note of MedicationStatement, CarePlan, Observation; a doctor visit's in its follow-up CarePlan.note"),
    "tags": home("meta.tag (system http://fhir-gateway.org/fhir/CodeSystem/twin-tag) of the primary resource"),
    "createdAt": home("DiagnosticReport.issued (lab_result), Observation.issued (metric), when it has a time of day; other types: the row's own bookkeeping"),
    "updatedAt": _BOOKKEEPING,
    "labName": home("DiagnosticReport.performer.display (lab-report)"),
    "orderingDoctor": home("DiagnosticReport.basedOn -> contained ServiceRequest.requester.display"),
    "biomarkers": home("one Observation (lab-result profile) per biomarker, DiagnosticReport.result: code LOINC + text, valueQuantity UCUM, referenceRange low/high, interpretation H/L/N"),
    "doctorName": home("Encounter.participant.individual.display"),
    "specialty": home("Encounter.serviceType.text"),
    "facility": home("Encounter.serviceProvider.display"),
    "diagnosis": home("one Condition (category encounter-diagnosis, code.text) per diagnosis, Encounter.diagnosis in order"),
    "followUp": home("CarePlan.description of the visit's plan (CarePlan.encounter the visit)"),
    "medicationName": home("MedicationStatement.medicationCodeableConcept.text (medication-statement-side-effects)"),
    "dosage": home("MedicationStatement.dosage.text"),
    "frequency": home("MedicationStatement.dosage.timing.code.text"),
    "prescriber": home("MedicationStatement.informationSource.display"),
    "reason": home("MedicationStatement.reasonCode.text"),
    "startDate": home("MedicationStatement.effectivePeriod.start, CarePlan.period.start"),
    "endDate": home("MedicationStatement.effectivePeriod.end (status completed, else active), CarePlan.period.end"),
    "sideEffects": home("MedicationStatement.extension medication-side-effect (valueString), one per side effect"),
    "interventionName": home("CarePlan.activity.detail.code.text"),
    "category": home("CarePlan.category, CodeSystem intervention-category (the app's codes verbatim)"),
    "protocol": home("CarePlan.description"),
    "source": home("Observation.device -> Device (wearable-device, type data-source via ConceptMap twin-metric-source); manual: personal-metric, no device"),
    "metricName": home("Observation.code.text, with the wearable-metric code / LOINC where known (R4 vital signs profile for vitals)"),
    "value": home("Observation.valueQuantity.value"),
    "unit": home("Observation.valueQuantity.unit, UCUM code where the unit is UCUM (1 without a unit)"),
}  # fmt: skip

ADAPTER = AppAdapter(
    name="medical-twin",
    title="Digital Medical Twin",
    seeds=("000_ed86d7a43c3150a7.txt",),
    entities=(
        Entity(
            "User", User, USER_FIELDS, user.to_fhir, primary=("Patient",),
            secrets=("passwordHash", "settings.apiKey"),
        ),
        Entity(
            "Event", Event, EVENT_FIELDS, events.to_fhir, primary=events.PRIMARY,
            foreign_keys={"userId": "User"},
        ),
    ),
    patient_entity="User",
    from_fhir=from_fhir,
)  # fmt: skip
