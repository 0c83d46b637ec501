"""Part A's rows exactly as the seed defines them (`002_…`, Sequelize on PostgreSQL).

Column names verbatim; ENUMs as the seed's values; INTEGER ids `int`; FLOAT `ExactNumber`;
DATE columns `Instant` (Sequelize's DATE is a timestamp with time zone) except the date of
birth, which FHIR holds as a date (`Day`). A column is required when the seed says NOT NULL and
gives no default; `createdAt`/`updatedAt` are filled by Sequelize, so optional here.
"""

from __future__ import annotations

from typing import Literal

from gateway.jsonio import ExactNumber
from mappers.apps.native import Day, Instant, NativeRow

__all__ = [
    "Alert",
    "Calendar",
    "CalendarEvent",
    "EventTemplate",
    "Medication",
    "MedicationLog",
    "Patient",
    "Provider",
    "User",
]


class User(NativeRow):
    id: int
    email: str
    password: str | None = None
    name: str
    phoneNumber: str | None = None
    emergencyContact: str | None = None
    emergencyPhone: str | None = None
    doctorName: str | None = None
    doctorPhone: str | None = None
    profilePhoto: str | None = None
    timezone: str | None = None  # the database fills 'America/New_York'
    role: Literal["patient", "therapist", "admin"] | None = None  # the database fills 'patient'
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Patient(NativeRow):
    id: int
    therapistId: int
    userId: int | None = None
    firstName: str | None = None
    lastName: str | None = None
    name: str
    dateOfBirth: Day | None = None
    gender: Literal["male", "female", "other"] | None = None
    age: int | None = None
    email: str | None = None
    primaryPhone: str | None = None
    primaryPhoneType: Literal["mobile", "home", "work"] | None = None
    alternatePhone: str | None = None
    preferredContactMethod: Literal["phone", "email", "text"] | None = None
    bestTimeToContact: Literal["morning", "afternoon", "evening"] | None = None
    streetAddress: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str | None = None
    emergencyContact1Name: str | None = None
    emergencyContact1Relationship: str | None = None
    emergencyContact1Phone: str | None = None
    emergencyContact2Name: str | None = None
    emergencyContact2Phone: str | None = None
    surgeryDate: Instant | None = None
    postOpWeek: int | None = None
    surgeryType: str | None = None
    dischargeSummary: str | None = None
    medicationAllergies: str | None = None
    otherAllergies: str | None = None
    chronicConditions: str | None = None
    smokingStatus: Literal["never", "former", "current"] | None = None
    alcoholUse: Literal["none", "occasional", "moderate", "heavy"] | None = None
    occupation: str | None = None
    education: str | None = None
    livingSituation: str | None = None
    primaryCaregiver: str | None = None
    insuranceProvider: str | None = None
    insurancePolicyNumber: str | None = None
    insuranceGroupNumber: str | None = None
    preferredPharmacy: str | None = None
    pharmacyPhone: str | None = None
    currentStage: str | None = None
    targetHeartRate: int | None = None
    maxHeartRate: int | None = None
    restingHeartRate: int | None = None
    bloodPressureGoal: str | None = None
    weightGoal: ExactNumber | None = None
    notes: str | None = None
    isActive: bool | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Provider(NativeRow):
    id: int
    userId: int
    name: str
    specialty: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    notes: str | None = None
    nextAppointment: Instant | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Medication(NativeRow):
    id: int
    userId: int
    name: str
    dosage: str | None = None
    frequency: str | None = None
    timeOfDay: str | None = None
    startDate: Instant | None = None
    endDate: Instant | None = None
    prescribedBy: str | None = None
    purpose: str | None = None
    sideEffects: str | None = None
    instructions: str | None = None
    isActive: bool | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class MedicationLog(NativeRow):
    id: int
    medicationId: int
    userId: int
    takenAt: Instant
    dosageTaken: str | None = None
    notes: str | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Alert(NativeRow):
    id: int
    userId: int
    type: str
    severity: Literal["low", "medium", "high", "critical"] | None = None
    title: str
    message: str | None = None
    isResolved: bool | None = None
    resolvedAt: Instant | None = None
    notified: bool | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Calendar(NativeRow):
    id: int
    userId: int
    name: str
    color: str | None = None
    description: str | None = None
    isDefault: bool | None = None
    isVisible: bool | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class CalendarEvent(NativeRow):
    id: int
    calendarId: int
    userId: int
    title: str
    description: str | None = None
    startTime: Instant
    endTime: Instant | None = None
    isAllDay: bool | None = None
    location: str | None = None
    category: str | None = None
    status: Literal["pending", "completed", "cancelled"] | None = None
    recurrenceRule: str | None = None
    recurrenceException: str | None = None
    parentEventId: int | None = None
    color: str | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class EventTemplate(NativeRow):
    id: int
    userId: int | None = None
    name: str
    description: str | None = None
    category: str | None = None
    duration: int | None = None
    color: str | None = None
    isActive: bool | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None
