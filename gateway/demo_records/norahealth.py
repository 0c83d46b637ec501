"""NoraHealth's demo users as the app itself would send them: its own rows, epoch timestamps
and JSON-text columns, counted back from `gateway.demo.ANCHOR` and drawn from a fixed seed.

Four users, each with a health profile, two or three workouts, the sessions of the last three
weeks, and progress metrics (weight every few days, calories, weekly completion rate, streak).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, time

from gateway.demo import ANCHOR, FAMILY, GIVEN, WEIGHT
from gateway.jsonio import Json

__all__ = ["records"]

DAY = 86400
DAYS = 21
_START = int(datetime.combine(ANCHOR, time(), UTC).timestamp()) - DAYS * DAY
_KG_PER_LB = 0.45359237

# (resolution class, fitness level, dietary exclusions, physical constraints, redlines, goals)
Profile = tuple[str, str, list[str], list[Json], list[str] | None, list[str] | None]
# (name, sets, reps, seconds held, instructions, modifications)
Exercise = tuple[str, int | None, int | None, int | None, str, list[str]]
# (name, type, outdoors, minutes, exercises)
Routine = tuple[str, str, bool, int, list[Exercise]]

# fmt: off
_PROFILES: tuple[Profile, ...] = (
    ("PERFORMANCE", "ADVANCED", ["GLUTEN"], [], None, ["Deadlift 1.5x body weight", "Run 10k under 50 minutes"]),
    ("VITALITY", "INTERMEDIATE", ["DAIRY", "PEANUTS"],
     [{"type": "KNEE", "description": "Torn ACL from soccer 2020", "severity": "MODERATE",
       "modifications": ["no jumping", "limit squats"]}],
     ["Hypertension"], ["Lose 5 kg", "Walk 10,000 steps a day"]),
    ("LONGEVITY", "BEGINNER", ["EGGS"],
     [{"type": "BACK", "description": "Chronic lower back pain", "severity": "MILD",
       "modifications": ["no heavy deadlifts"]}],
     ["Type 2 diabetes", "High cholesterol"], ["Exercise three times a week"]),
    ("VITALITY", "BEGINNER", [], [], None, None),
)
_WORKOUTS: tuple[Routine, ...] = (
    ("Full body strength", "STRENGTH", False, 45, [
        ("Push-ups", 3, 12, None, "Keep core tight, lower chest to ground", ["knee push-ups", "wall push-ups"]),
        ("Goblet squat", 3, 10, None, "Heels down, chest up", ["box squat"]),
        ("Plank", 3, None, 45, "Hold straight body position", ["knee plank", "elevated plank"])]),
    ("Easy run", "CARDIO", True, 30, [("Run", None, None, 1800, "Conversational pace", ["brisk walk"])]),
    ("Sprint intervals", "HIIT", True, 20, [("Sprint", 8, None, 30, "All out, walk back to recover", ["bike sprints"])]),
    ("Mobility flow", "FLEXIBILITY", False, 15, [
        ("Hip flexor stretch", 2, None, 60, "Tuck the pelvis", []),
        ("Cat-cow", 2, 10, None, "Move with the breath", [])]),
    ("Deadlift day", "COMPOUND", False, 50, [("Deadlift", 5, 5, None, "Neutral spine", ["trap bar deadlift"])]),
)
# fmt: on
_PLANS = ((0, 2, 4), (1, 3), (3, 1), (1, 3))  # the workouts of each user
_SORENESS = ("NONE", "MILD", "MILD", "MODERATE", "SEVERE")


def _ulid(kind: str, user: int, number: int = 0) -> str:
    """A readable, fixed 26-character id in the ULID alphabet (no I, L, O, U)."""
    return f"01J{kind}{user:02d}{number:04d}".ljust(26, "0")


def records() -> dict[str, list[Json]]:
    rng = random.Random(1001)
    out: dict[str, list[Json]] = {
        "users": [],
        "health_profiles": [],
        "workouts": [],
        "workout_sessions": [],
        "progress_metrics": [],
    }
    for user in range(4):
        _user(rng, user, out)
    return out


def _user(rng: random.Random, user: int, out: dict[str, list[Json]]) -> None:
    user_id = _ulid("ACC", user)
    sex = ("female", "male")[user % 2]
    name = f"{GIVEN[sex][user * 2]} {FAMILY[user * 3]}"
    joined = _START - rng.randint(30, 200) * DAY
    out["users"].append(
        {
            "id": user_id,
            "email": f"{name.lower().replace(' ', '.')}@example.com",
            "display_name": name,
            "status": "VERIFIED" if user < 3 else "NOT_VERIFIED",
            "role": "USER",
            "verified_at": joined + 300 if user < 3 else None,
            "created_at": joined,
            "updated_at": joined + 600,
        }
    )
    focus, level, exclusions, constraints, redlines, goals = _PROFILES[user]
    out["health_profiles"].append(
        {
            "id": _ulid("HPR", user),
            "user_id": user_id,
            "resolution_class": focus,
            "dietary_exclusions": json.dumps(exclusions),
            "physical_constraints": json.dumps(constraints),
            "medical_redlines": None if redlines is None else json.dumps(redlines),
            "fitness_goals": None if goals is None else json.dumps(goals),
            "fitness_level": level,
            "created_at": joined + 900,
        }
    )
    plan = [
        _workout(user, number, index, joined, level) for number, index in enumerate(_PLANS[user])
    ]
    out["workouts"].extend(plan)
    _activity(rng, user, plan, out)


def _workout(user: int, number: int, index: int, joined: int, level: str) -> Json:
    name, kind, outdoor, minutes, exercises = _WORKOUTS[index]
    return {
        "id": _ulid("WKT", user, number),
        "user_id": _ulid("ACC", user),
        "name": name,
        "type": kind,
        "is_outdoor": outdoor,
        "difficulty_level": level,
        "exercises": json.dumps(
            [
                {
                    "name": n,
                    "sets": s,
                    "reps": r,
                    "duration_seconds": d,
                    "instructions": i,
                    "modifications": m or None,
                }
                for n, s, r, d, i, m in exercises
            ]
        ),
        "duration_minutes": minutes,
        "created_at": joined + 1200 + number,
    }


def _activity(rng: random.Random, user: int, plan: list[Json], out: dict[str, list[Json]]) -> None:
    user_id = _ulid("ACC", user)
    weight = rng.uniform(*WEIGHT.usual) * _KG_PER_LB
    done = streak = 0
    for day in range(DAYS):
        morning = _START + day * DAY + 7 * 3600 + rng.randint(0, 3600)
        if day % 3 == 0:
            weight += rng.uniform(-0.6, 0.4)
            _metric(out, user, "WEIGHT", f"{weight:.1f}", morning)
        _metric(out, user, "CALORIES_CONSUMED", str(rng.randint(1600, 2700)), morning + 15 * 3600)
        if rng.random() < 0.5:
            streak = 0
        else:
            workout = plan[day % len(plan)]
            minutes = int(workout["duration_minutes"]) + rng.randint(-5, 8)
            finished = morning + 11 * 3600
            number = len(out["workout_sessions"])
            out["workout_sessions"].append(
                {
                    "id": _ulid("SES", user, number),
                    "workout_id": workout["id"],
                    "user_id": user_id,
                    "completed_at": finished,
                    "soreness_level": rng.choice(_SORENESS),
                    "duration_minutes": minutes,
                    "notes": None if rng.random() < 0.7 else "Felt good",
                    "created_at": finished + 30,
                }
            )
            _metric(out, user, "CALORIES_BURNED", str(minutes * rng.randint(6, 11)), finished + 60)
            done, streak = done + 1, streak + 1
        if day % 7 == 6:
            evening = morning + 14 * 3600
            _metric(out, user, "COMPLETION_RATE", f"{100 * done / 7:.1f}", evening)
            _metric(out, user, "STREAK", str(streak), evening)
            done = 0


def _metric(out: dict[str, list[Json]], user: int, kind: str, value: str, when: int) -> None:
    number = len(out["progress_metrics"])
    out["progress_metrics"].append(
        {
            "id": _ulid("MET", user, number),
            "user_id": _ulid("ACC", user),
            "type": kind,
            "value": value,
            "date": when,
            "created_at": when,
        }
    )
