"""MedRecord AI's nine Prisma models as adapter entities: where every field lives in FHIR.

The texts are what the README's table of every seed field shows.
"""

from __future__ import annotations

from mappers.apps.base import Entity, FieldHome, home, no_home
from mappers.apps.medrecord import models
from mappers.apps.medrecord.clinical import allergy_to_fhir, condition_to_fhir
from mappers.apps.medrecord.orders import prescription_to_fhir, symptom_to_fhir
from mappers.apps.medrecord.people import patient_to_fhir, provider_to_fhir
from mappers.apps.medrecord.record import record_to_fhir
from mappers.apps.medrecord.visits import appointment_to_fhir
from mappers.apps.medrecord.vitals import vitals_to_fhir

__all__ = ["ENTITIES"]

BOOKKEEPING = no_home("the row's own bookkeeping; FHIR's meta.lastUpdated is the server's")
SPELLING = " (seed 004 spelling, kept as meta.tag medrecord-field-spelling)"


PROVIDER = Entity(
    name="Provider",
    model=models.Provider,
    to_fhir=provider_to_fhir,
    primary=("Practitioner",),
    secrets=("passwordHash",),
    fields={
        "id": home(
            "Practitioner.identifier, PractitionerRole.identifier (<SID>/medrecord/Provider)"
        ),
        "email": home("Practitioner.telecom (system email, use work)"),
        "passwordHash": no_home("a secret: dropped on the way in and reported, never stored"),
        "firstName": home("Practitioner.name.given"),
        "lastName": home("Practitioner.name.family"),
        "specialty": home("PractitionerRole.specialty.text"),
        "licenseNumber": home("Practitioner.identifier (type v2-0203 MD, medical license number)"),
        "phone": home("Practitioner.telecom (system phone, use work)"),
        "createdAt": BOOKKEEPING,
        "updatedAt": BOOKKEEPING,
    },
)

PATIENT = Entity(
    name="Patient",
    model=models.Patient,
    to_fhir=patient_to_fhir,
    primary=("Patient",),
    foreign_keys={"providerId": "Provider"},
    fields={
        "id": home("Patient.identifier, Coverage.identifier (<SID>/medrecord/Patient)"),
        "providerId": home("Patient.generalPractitioner -> Practitioner"),
        "firstName": home("Patient.name.given"),
        "lastName": home("Patient.name.family"),
        "dateOfBirth": home("Patient.birthDate"),
        "sex": home("Patient.gender (ConceptMap medrecord-sex)"),
        "phone": home("Patient.telecom (system phone, use home)"),
        "email": home("Patient.telecom (system email, use home)"),
        "address": home("Patient.address.line"),
        "city": home("Patient.address.city"),
        "state": home("Patient.address.state"),
        "zipCode": home("Patient.address.postalCode"),
        "emergencyContactName": home("Patient.contact.name.text (relationship v2-0131 C)"),
        "emergencyContactPhone": home("Patient.contact.telecom (system phone)"),
        "emergencyContactRelationship": home("Patient.contact.relationship.text"),
        "insuranceProvider": home("Coverage.payor.display"),
        "insurancePolicyNumber": home("Coverage.identifier (use official)"),
        "notes": no_home(
            "R4 Patient has no note element, and a free-text note about a person is no "
            "clinical statement (Flag, Condition) the gateway could honestly make of it"
        ),
        "createdAt": BOOKKEEPING,
        "updatedAt": BOOKKEEPING,
    },
)

ALLERGY = Entity(
    name="Allergy",
    model=models.Allergy,
    to_fhir=allergy_to_fhir,
    primary=("AllergyIntolerance",),
    foreign_keys={"patientId": "Patient"},
    fields={
        "id": home("AllergyIntolerance.identifier (<SID>/medrecord/Allergy)"),
        "patientId": home("AllergyIntolerance.patient -> Patient"),
        "allergen": home("AllergyIntolerance (allergy profile) code.text"),
        "reaction": home("AllergyIntolerance.reaction.manifestation.text"),
        "severity": home(
            "AllergyIntolerance.reaction.severity (ConceptMap medrecord-allergy-severity), "
            "criticality (ConceptMap medrecord-allergy-criticality), the app's code in "
            "extension medrecord-allergy-severity"
        ),
        "onsetDate": home("AllergyIntolerance.onsetDateTime"),
        "createdAt": home("AllergyIntolerance.recordedDate"),
        "updatedAt": BOOKKEEPING,
    },
)

CHRONIC_CONDITION = Entity(
    name="ChronicCondition",
    model=models.ChronicCondition,
    to_fhir=condition_to_fhir,
    primary=("Condition",),
    foreign_keys={"patientId": "Patient"},
    fields={
        "id": home("Condition.identifier (<SID>/medrecord/ChronicCondition)"),
        "patientId": home("Condition.subject -> Patient"),
        "conditionName": home("Condition (chronic-condition profile, problem-list-item) code.text"),
        "condition": home("Condition.code.text" + SPELLING),
        "diagnosisDate": home("Condition.onsetDateTime"),
        "diagnosedDate": home("Condition.onsetDateTime" + SPELLING),
        "status": home(
            "Condition.clinicalStatus (condition-clinical code when the text is one, else text)"
        ),
        "notes": home("Condition.note.text"),
        "createdAt": home("Condition.recordedDate"),
        "updatedAt": BOOKKEEPING,
    },
)

APPOINTMENT = Entity(
    name="Appointment",
    model=models.Appointment,
    to_fhir=appointment_to_fhir,
    primary=("Appointment",),
    foreign_keys={"patientId": "Patient", "providerId": "Provider"},
    fields={
        "id": home("Appointment.identifier, Encounter.identifier (<SID>/medrecord/Appointment)"),
        "patientId": home("Appointment.participant.actor, Encounter.subject -> Patient"),
        "providerId": home(
            "Appointment.participant.actor, Encounter.participant.individual -> Practitioner"
        ),
        "appointmentDate": home("Appointment.start, Encounter.period.start"),
        "appointmentType": home(
            "Appointment (clinic-appointment profile) appointmentType: appointment-type code, "
            "v2-0276 code (ConceptMap medrecord-appointment-type); Encounter.type"
        ),
        "reasonForVisit": home("Appointment.reasonCode.text, Encounter.reasonCode.text"),
        "reason": home("Appointment.reasonCode.text" + SPELLING),
        "notes": home("Appointment.comment"),
        "durationMinutes": home("Appointment.minutesDuration, end = start + duration"),
        "status": home(
            "Appointment.status (ConceptMap medrecord-appointment-status), Encounter.status "
            "(ConceptMap medrecord-appointment-status-encounter)"
        ),
        "createdAt": home("Appointment.created"),
        "updatedAt": BOOKKEEPING,
    },
)


def _section(where: str) -> FieldHome:
    return home(f"Composition (soap-note profile) {where}")


MEDICAL_RECORD = Entity(
    name="MedicalRecord",
    model=models.MedicalRecord,
    to_fhir=record_to_fhir,
    primary=("Composition",),
    foreign_keys={"appointmentId": "Appointment"},
    fields={
        "id": home(
            "Composition, Condition, DocumentReference identifier (<SID>/medrecord/MedicalRecord)"
        ),
        "appointmentId": home("Composition.encounter -> the appointment's Encounter"),
        "chiefComplaint": _section("Subjective section's sub-section LOINC 10154-3"),
        "historyOfPresentIllness": _section("Subjective section's sub-section LOINC 10164-2"),
        "physicalExamNotes": _section("Objective section's sub-section LOINC 29545-1"),
        "diagnosis": home(
            "Condition (encounter-diagnosis) code.text, entry of the Assessment section"
        ),
        "diagnosisNotes": home("Condition (encounter-diagnosis) note.text"),
        "treatmentPlan": _section("Plan section's sub-section LOINC 18776-5"),
        "followUpInstructions": _section("Plan section's sub-section LOINC 69730-0"),
        "patientEducation": _section("Plan section's sub-section LOINC 34895-3"),
        "subjective": _section("Subjective section text (LOINC 61150-9)"),
        "objective": _section("Objective section text (LOINC 61149-1)"),
        "assessment": _section("Assessment section text (LOINC 51848-0)"),
        "plan": _section("Plan section text (LOINC 18776-5)"),
        "audioFileUrl": home("DocumentReference.content.attachment.url (title Visit recording)"),
        "transcript": home("DocumentReference.content.attachment.data (title Transcript)"),
        "aiTranscript": home("DocumentReference.content.attachment.data (title AI transcript)"),
        "aiSummary": home("DocumentReference.content.attachment.data (title AI summary)"),
        "isAIGenerated": home("Composition and diagnosis Condition extension ai-extracted"),
        "isDraft": home(
            "Composition.status preliminary (draft) / final; DocumentReference.docStatus"
        ),
        "createdAt": no_home(
            "the row's own bookkeeping; Composition.date is the note's last change (updatedAt)"
        ),
        "updatedAt": home("Composition.date"),
    },
)

SYMPTOM = Entity(
    name="Symptom",
    model=models.Symptom,
    to_fhir=symptom_to_fhir,
    primary=("Observation",),
    foreign_keys={"medicalRecordId": "MedicalRecord"},
    fields={
        "id": home("Observation.identifier (<SID>/medrecord/Symptom)"),
        "medicalRecordId": home("Observation.encounter and subject: the record's visit"),
        "symptomName": home("Observation (symptom profile) code.text"),
        "name": home("Observation.code.text" + SPELLING),
        "bodySite": home("Observation.bodySite.text"),
        "severity": home("Observation.valueInteger (1-10)"),
        "duration": home("Observation.component (code text Duration) valueString"),
        "notes": home("Observation.note.text"),
        "isAIExtracted": home("Observation extension ai-extracted"),
        "aiGenerated": home("Observation extension ai-extracted" + SPELLING),
        "createdAt": home("Observation.issued"),
        "updatedAt": BOOKKEEPING,
    },
)

PRESCRIPTION = Entity(
    name="Prescription",
    model=models.Prescription,
    to_fhir=prescription_to_fhir,
    primary=("MedicationRequest",),
    foreign_keys={"medicalRecordId": "MedicalRecord"},
    fields={
        "id": home("MedicationRequest.identifier (<SID>/medrecord/Prescription)"),
        "medicalRecordId": home(
            "MedicationRequest.encounter, subject, requester: the record's visit"
        ),
        "medicationName": home(
            "MedicationRequest.medicationCodeableConcept.text, or with a strength the contained "
            "Medication's ingredient.itemCodeableConcept.text"
        ),
        "medication": home("as medicationName" + SPELLING),
        "strength": home('contained Medication.code.text ("<name> <strength>")'),
        "dosage": home("MedicationRequest.dosageInstruction.text"),
        "frequency": home("MedicationRequest.dosageInstruction.timing.code.text"),
        "duration": home(
            'MedicationRequest.dosageInstruction.timing.repeat.boundsDuration ("10 days"), '
            "other text in dosageInstruction.additionalInstruction.text"
        ),
        "quantity": home("MedicationRequest.dispenseRequest.quantity.value"),
        "refills": home("MedicationRequest.dispenseRequest.numberOfRepeatsAllowed"),
        "instructions": home("MedicationRequest.dosageInstruction.patientInstruction"),
        "indication": home("MedicationRequest.reasonCode.text"),
        "isAIExtracted": home("MedicationRequest extension ai-extracted"),
        "aiGenerated": home("MedicationRequest extension ai-extracted" + SPELLING),
        "createdAt": home("MedicationRequest.authoredOn"),
        "updatedAt": BOOKKEEPING,
    },
)


def _vital(where: str) -> FieldHome:
    return home(f"Observation ({where})")


VITAL_SIGNS = Entity(
    name="VitalSigns",
    model=models.VitalSigns,
    to_fhir=vitals_to_fhir,
    primary=(),
    foreign_keys={"appointmentId": "Appointment"},
    fields={
        "id": home("Observation.identifier of each reading (<SID>/medrecord/VitalSigns)"),
        "appointmentId": home("Observation.encounter and subject: the appointment's visit"),
        "bloodPressureSystolic": _vital("bp profile) component LOINC 8480-6, mm[Hg]"),
        "bloodPressureDiastolic": _vital("bp profile) component LOINC 8462-4, mm[Hg]"),
        "heartRate": _vital("heartrate profile) valueQuantity, LOINC 8867-4, /min"),
        "temperature": _vital("bodytemp profile) valueQuantity, LOINC 8310-5, [degF]"),
        "respiratoryRate": _vital("resprate profile) valueQuantity, LOINC 9279-1, /min"),
        "oxygenSaturation": _vital("oxygensat profile) valueQuantity, LOINC 2708-6, %"),
        "weight": _vital("bodyweight profile) valueQuantity, LOINC 29463-7, [lb_av]"),
        "height": _vital("bodyheight profile) valueQuantity, LOINC 8302-2, [in_i]"),
        "bmi": _vital("bmi profile) valueQuantity, LOINC 39156-5, kg/m2"),
        "painLevel": _vital("no profile) valueQuantity, LOINC 72514-3, {score} 0-10"),
        "recordedAt": home("Observation.effectiveDateTime"),
        "createdAt": no_home("the row's own bookkeeping; recordedAt is when the signs were taken"),
        "updatedAt": BOOKKEEPING,
    },
)

ENTITIES = (
    PROVIDER,
    PATIENT,
    ALLERGY,
    CHRONIC_CONDITION,
    APPOINTMENT,
    MEDICAL_RECORD,
    SYMPTOM,
    PRESCRIPTION,
    VITAL_SIGNS,
)
