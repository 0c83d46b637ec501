"""Where each `Patients` column lives in FHIR, or why it has none (the README's table)."""

from __future__ import annotations

from mappers.apps.base import FieldHome, home, no_home
from mappers.apps.heart_recovery.fhir import BOOKKEEPING

__all__ = ["FIELDS"]

FIELDS: dict[str, FieldHome] = {
    "id": home(
        "Patient.identifier (system …/sid/heart-recovery/Patients), and on every fact below"
    ),
    "therapistId": home(
        "CareTeam (subject the patient, participant role therapist).member -> the therapist's "
        "account; also Patient.generalPractitioner when that account is a Practitioner"
    ),
    "userId": home("Patient.link (seealso) -> the account's Patient; the facts' subject"),
    "firstName": home("Patient.name.given"),
    "lastName": home("Patient.name.family"),
    "name": home("Patient.name.text"),
    "dateOfBirth": home("Patient.birthDate"),
    "gender": home("Patient.gender (ConceptMap heart-recovery-gender)"),
    "age": no_home("derived from dateOfBirth (Patient.birthDate); R4 keeps no age on Patient"),
    "email": home("Patient.telecom (system email)"),
    "primaryPhone": home("Patient.telecom (phone, element id primaryPhone)"),
    "primaryPhoneType": home("Patient.telecom.use of the primary phone (mobile, home, work)"),
    "alternatePhone": home("Patient.telecom (phone, element id alternatePhone)"),
    "preferredContactMethod": home(
        "Patient.telecom.rank 1 on the preferred ContactPoint (phone, email; text as system sms)"
    ),
    "bestTimeToContact": home("Patient.extension preferred-contact-time (valueCode)"),
    "streetAddress": home("Patient.address.line"),
    "city": home("Patient.address.city"),
    "state": home("Patient.address.state"),
    "postalCode": home("Patient.address.postalCode"),
    "country": home("Patient.address.country"),
    "emergencyContact1Name": home("Patient.contact.name.text (relationship v2-0131 C)"),
    "emergencyContact1Relationship": home("Patient.contact.relationship.text"),
    "emergencyContact1Phone": home("Patient.contact.telecom (phone)"),
    "emergencyContact2Name": home("Patient.contact.name.text (second contact, v2-0131 C)"),
    "emergencyContact2Phone": home("Patient.contact.telecom (second contact, phone)"),
    "surgeryDate": home("Procedure.performedDateTime (category SNOMED 387713003 surgical)"),
    "postOpWeek": no_home("derived from surgeryDate (Procedure.performedDateTime) and today"),
    "surgeryType": home("Procedure.code.text"),
    "dischargeSummary": home(
        "DocumentReference (LOINC 18842-5 Discharge summary) content.attachment.data, text/plain"
    ),
    "medicationAllergies": home(
        "AllergyIntolerance (allergy profile, category medication) code.text"
    ),
    "otherAllergies": home("AllergyIntolerance (allergy profile, no category) code.text"),
    "chronicConditions": home("Condition (chronic-condition profile, problem-list-item) code.text"),
    "smokingStatus": home(
        "Observation LOINC 72166-2 valueCodeableConcept SNOMED CT 266919005 / 8517006 / 77176002"
    ),
    "alcoholUse": home(
        "Observation LOINC 11331-6 valueCodeableConcept SNOMED CT 105542008 / 228276006 / "
        "43783005 / 86933000"
    ),
    "occupation": home("Observation LOINC 11341-5 History of Occupation, valueString"),
    "education": home("Observation LOINC 82589-3 Highest level of education, valueString"),
    "livingSituation": home("Observation (social-history, code text Living situation) valueString"),
    "primaryCaregiver": home(
        "Patient.contact.name.text (relationship v2-0131 CP, Primary caregiver)"
    ),
    "insuranceProvider": home("Coverage.payor.display"),
    "insurancePolicyNumber": home("Coverage.subscriberId"),
    "insuranceGroupNumber": home("Coverage.class (type group).value"),
    "preferredPharmacy": no_home(
        "R4's Patient has no preferred pharmacy; FHIR names a pharmacy per dispense "
        "(MedicationRequest.dispenseRequest.performer), which the app does not have"
    ),
    "pharmacyPhone": no_home("the preferred pharmacy's phone: no home, like preferredPharmacy"),
    "currentStage": no_home(
        "the app's own recovery-stage label; R4's Patient has no element for it and no "
        "CarePlan of the app carries it"
    ),
    "targetHeartRate": home("Goal (therapy-goal) target.measure LOINC 8867-4, detailQuantity /min"),
    "maxHeartRate": home("Goal (therapy-goal) target.measure LOINC 8867-4, detailRange.high /min"),
    "restingHeartRate": home(
        "Goal (therapy-goal) target.measure LOINC 40443-4, detailQuantity /min"
    ),
    "bloodPressureGoal": home("Goal (therapy-goal) target.measure LOINC 85354-9, detailString"),
    "weightGoal": home("Goal (therapy-goal) target.measure LOINC 29463-7, detailQuantity [lb_av]"),
    "notes": no_home(
        "the therapist's working notes; R4's Patient has no note element and the notes are "
        "about no one clinical fact"
    ),
    "isActive": home("Patient.active"),
    "createdAt": no_home(BOOKKEEPING),
    "updatedAt": no_home(BOOKKEEPING),
}
