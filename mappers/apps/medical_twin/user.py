"""User <-> Patient. https://hl7.org/fhir/R4/patient.html

The row identifier names the user; the username, the app's login name, is a second identifier
of the app (system `<SID>/medical-twin/User/username`) so a client can find the patient by it.
The email is a telecom. The password hash and the settings (AI provider and model, theme, API
key) are the app's own and never leave it.
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import MappingContext
from mappers.apps.medical_twin.common import APP
from mappers.apps.medical_twin.models import User
from mappers.apps.native import SID
from mappers.apps.view import FhirView, partial_row

USERNAME_SYSTEM = f"{SID}/{APP}/User/username"


def to_fhir(row: User, ctx: MappingContext) -> list[Json]:
    own = ctx.identity("User", row.id)
    patient: Json = {
        "resourceType": "Patient",
        "id": own.resource_id(),
        "identifier": [
            own.identifier(),
            {"use": "secondary", "system": USERNAME_SYSTEM, "value": row.username},
        ],
    }
    if row.email:
        patient["telecom"] = [{"system": "email", "value": row.email}]
    return [patient]


def from_fhir(view: FhirView) -> User | None:
    """The user behind the view's patient. A patient the app never sent (an EHR's) is a
    partial row named by its FHIR id: its email if any, and no username, which only the app
    knows (a re-send is a 422 asking for it). None for an own patient without its username."""
    patient = view.patient
    email = next(
        (t.get("value") for t in patient.get("telecom", ()) if t.get("system") == "email"), None
    )
    native_id = view.native_id(patient, "User")
    if native_id is None:
        return partial_row(User, {"id": patient["id"], "email": email})
    username = next(
        (
            i.get("value")
            for i in patient.get("identifier", ())
            if i.get("system") == USERNAME_SYSTEM
        ),
        None,
    )
    if not isinstance(username, str):
        return None
    return User(id=native_id, username=username, email=email)
