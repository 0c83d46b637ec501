"""`users` <-> Patient: the account holder is the patient of every other NoraHealth row.

The account's lifetime is the lifetime of its identifier (Identifier.period: created_at to the
soft delete, deleted_at; https://hl7.org/fhir/R4/datatypes.html#Identifier); a banned or
deleted account is `active: false` (Patient.active, "whether this patient's record is in active
use"). The account status itself travels as a meta.tag from `norahealth-user-status`.
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import SID, Entity, FhirView, MappingContext, home, no_home
from mappers.apps.norahealth.common import (
    APP,
    checked_instant,
    codesystem,
    epoch,
    present,
)
from mappers.apps.norahealth.models import User, UserStatus

__all__ = ["ENTITY", "from_patient"]

STATUS = codesystem("norahealth-user-status")
_SYSTEM = f"{SID}/{APP}/users"
_STATUSES: tuple[UserStatus, ...] = ("NOT_VERIFIED", "VERIFIED", "BANNED")
_BOOKKEEPING = "the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"


def to_fhir(row: User, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("users", row.id)
    period = {"start": checked_instant("created_at", row.created_at)}
    if row.deleted_at is not None:
        period["end"] = checked_instant("deleted_at", row.deleted_at)
    patient: Json = {
        "resourceType": "Patient",
        "id": identity.resource_id(),
        "meta": {"tag": [{"system": STATUS, "code": row.status}]},
        "identifier": [{**identity.identifier(), "period": period}],
    }
    patient["active"] = row.status != "BANNED" and row.deleted_at is None
    if present(row.display_name):
        patient["name"] = [{"text": row.display_name}]
    if present(row.email):
        patient["telecom"] = [{"system": "email", "value": row.email}]
    return [patient]


def from_patient(view: FhirView) -> User:
    """The user the view's Patient is: its own row back, or an EHR's patient as a new user
    (status NOT_VERIFIED, role USER, created when the gateway stored it)."""
    patient = view.patient
    native_id = view.native_id(patient, "users")
    period = _own_period(patient) if native_id else {}
    created = epoch(period.get("start")) or epoch(patient.get("meta", {}).get("lastUpdated"))
    return User(
        id=native_id or patient["id"],
        email=next(
            (
                t["value"]
                for t in patient.get("telecom", ())
                if t.get("system") == "email" and "value" in t
            ),
            None,
        ),
        display_name=_name(patient),
        status=_status(patient),
        role="USER",
        created_at=created or 0,
        deleted_at=epoch(period.get("end")),
    )


def _own_period(patient: Json) -> Json:
    for identifier in patient.get("identifier", ()):
        if identifier.get("system") == _SYSTEM:
            period: Json = identifier.get("period", {})
            return period
    return {}


def _name(patient: Json) -> str | None:
    for name in patient.get("name", ()):
        if "text" in name:
            return str(name["text"])
        parts = [*name.get("given", ()), *([name["family"]] if "family" in name else ())]
        if parts:
            return " ".join(parts)
    return None


def _status(patient: Json) -> UserStatus:
    for tag in patient.get("meta", {}).get("tag", ()):
        code = tag.get("code")
        if tag.get("system") == STATUS and code in _STATUSES:
            status: UserStatus = code
            return status
    return "NOT_VERIFIED"


ENTITY = Entity(
    name="users",
    model=User,
    fields={
        "id": home("Patient.identifier (system …/sid/norahealth/users)"),
        "email": home("Patient.telecom (system email)"),
        "display_name": home("Patient.name.text"),
        "status": home(
            "Patient.meta.tag (CodeSystem norahealth-user-status); BANNED -> Patient.active false"
        ),
        "role": no_home("an app permission (USER/ADMIN), not a fact about the person"),
        "profile_picture_id": no_home(
            "names a storage_files row, which has no FHIR home (the image stays in the app)"
        ),
        "verified_at": no_home("R4's Patient records no account verification time"),
        "created_at": home("Patient.identifier.period.start (the account id in use from then)"),
        "updated_at": no_home(_BOOKKEEPING),
        "deleted_at": home("Patient.identifier.period.end, and Patient.active false"),
    },
    to_fhir=to_fhir,
    primary=("Patient",),
)
