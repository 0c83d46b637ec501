"""The tracking tables of the Heart Recovery Calendar, exactly as its seed document defines them
(seed `002_085323ce718dff36.txt`, Sequelize/PostgreSQL).

INTEGER columns are `int`, FLOAT `ExactNumber` (precision kept), DATE `Instant` (kept as sent),
ENUMs `Literal` of the seed's values. Required: NOT NULL without a default; `createdAt` and
`updatedAt` are set by Sequelize, so optional.
"""

from __future__ import annotations

from typing import Literal

from pydantic import JsonValue

from gateway.jsonio import ExactNumber
from mappers.apps.native import Instant, NativeRow


class _Stamped(NativeRow):
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class VitalsSamples(_Stamped):
    id: int
    userId: int
    systolicBP: int | None = None
    diastolicBP: int | None = None
    heartRate: int | None = None
    weight: ExactNumber | None = None
    oxygenSaturation: int | None = None
    temperature: ExactNumber | None = None
    recordedAt: Instant
    notes: str | None = None


class FoodCategories(_Stamped):
    id: int
    name: str
    description: str | None = None


class FoodItems(_Stamped):
    id: int
    categoryId: int | None = None
    name: str
    servingSize: str | None = None
    calories: int | None = None
    protein: ExactNumber | None = None
    carbs: ExactNumber | None = None
    fat: ExactNumber | None = None
    fiber: ExactNumber | None = None
    sodium: int | None = None
    healthRating: int | None = None
    notes: str | None = None


class MealEntries(_Stamped):
    id: int
    userId: int
    mealType: Literal["breakfast", "lunch", "dinner", "snack"] | None = None
    mealTime: Instant
    totalCalories: int | None = None
    totalProtein: ExactNumber | None = None
    totalCarbs: ExactNumber | None = None
    totalFat: ExactNumber | None = None
    notes: str | None = None


class MealItemEntries(_Stamped):
    id: int
    mealEntryId: int
    foodItemId: int | None = None
    quantity: ExactNumber | None = None
    customFoodName: str | None = None
    customCalories: int | None = None


class Exercises(_Stamped):
    id: int
    name: str
    category: str | None = None
    description: str | None = None
    instructions: str | None = None
    videoUrl: str | None = None
    imageUrl: str | None = None
    difficulty: Literal["beginner", "intermediate", "advanced"] | None = None
    targetMuscles: str | None = None
    equipment: str | None = None
    isActive: bool | None = None


PrescriptionStatus = Literal["active", "completed", "discontinued"]


class ExercisePrescriptions(_Stamped):
    id: int
    patientId: int
    exerciseId: int
    sets: int | None = None
    reps: int | None = None
    duration: int | None = None
    frequency: str | None = None
    intensity: str | None = None
    startDate: Instant | None = None
    endDate: Instant | None = None
    status: PrescriptionStatus | None = None
    notes: str | None = None


class ExerciseLogs(_Stamped):
    id: int
    userId: int
    exerciseId: int | None = None
    prescriptionId: int | None = None
    duration: int | None = None
    distance: ExactNumber | None = None
    calories: int | None = None
    avgHeartRate: int | None = None
    maxHeartRate: int | None = None
    intensity: str | None = None
    completedAt: Instant
    notes: str | None = None


class PhysicalTherapyPhases(_Stamped):
    id: int
    name: str
    weekStart: int
    weekEnd: int
    description: str | None = None
    goals: str | None = None
    restrictions: str | None = None


class TherapyRoutines(_Stamped):
    id: int
    phaseId: int
    name: str
    description: str | None = None
    frequency: str | None = None


class Activities(_Stamped):
    id: int
    routineId: int
    name: str
    description: str | None = None
    duration: int | None = None
    order: int | None = None


GoalStatus = Literal["pending", "in-progress", "completed", "cancelled"]


class TherapyGoals(_Stamped):
    id: int
    userId: int
    title: str
    description: str | None = None
    category: str | None = None
    targetDate: Instant | None = None
    progress: int | None = None
    status: GoalStatus | None = None


DeviceType = Literal["strava", "polar", "samsung"]


class DeviceConnections(_Stamped):
    id: int
    userId: int
    deviceType: DeviceType
    deviceName: str | None = None
    accessToken: str | None = None
    refreshToken: str | None = None
    tokenExpiry: Instant | None = None
    isActive: bool | None = None
    lastSyncAt: Instant | None = None
    syncFrequency: str | None = None
    settings: JsonValue = None  # a JSON column: any JSON value


class DeviceSyncLogs(NativeRow):
    id: int
    deviceConnectionId: int
    syncStartedAt: Instant
    syncCompletedAt: Instant | None = None
    status: Literal["pending", "success", "failed"] | None = None
    recordsSynced: int | None = None
    errorMessage: str | None = None
    createdAt: Instant | None = None


class SleepLogs(_Stamped):
    id: int
    userId: int
    sleepDate: Instant
    bedtime: Instant | None = None
    wakeTime: Instant | None = None
    totalHours: ExactNumber | None = None
    quality: int | None = None
    interruptions: int | None = None
    notes: str | None = None


class HydrationLogs(_Stamped):
    id: int
    userId: int
    logDate: Instant
    amountOz: ExactNumber
    goalOz: ExactNumber | None = None
    notes: str | None = None


class DailyScores(_Stamped):
    id: int
    userId: int
    date: Instant
    overallScore: int | None = None
    exerciseScore: int | None = None
    nutritionScore: int | None = None
    sleepScore: int | None = None
    medicationScore: int | None = None
    vitalsScore: int | None = None
    notes: str | None = None
