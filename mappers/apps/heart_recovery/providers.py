"""`Providers` (a patient's own list of clinicians) -> Practitioner + PractitionerRole, and a
CareTeam with the patient as subject that ties them to the patient (its compartment), which
also carries the patient's notes about them. `nextAppointment` is an Appointment: the app
keeps only its date, so it is a requested period (`proposed`; R4's app-2/app-3 allow start and
end only together, and only as instants). https://hl7.org/fhir/R4/careteam.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, home, no_home
from mappers.apps.heart_recovery.common import patient_ref
from mappers.apps.heart_recovery.fhir import BOOKKEEPING, compact, first, point
from mappers.apps.heart_recovery.models import Provider
from mappers.apps.heart_recovery.users import user_id
from mappers.apps.native import Identity, fhir_datetime
from mappers.apps.view import Exported, FhirView
from mappers.apps.view import concept_text as text_of

__all__ = ["ENTITY", "rows"]


def to_fhir(row: Provider, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Providers", row.id)
    practitioner = identity.reference("Practitioner")
    patient = patient_ref(ctx, row.userId)

    def base(resource_type: str, part: str = "") -> Json:
        return {"resourceType": resource_type, "id": identity.resource_id(part),
                "identifier": [identity.identifier()]}  # fmt: skip

    made = [
        compact({**base("Practitioner"), "name": [{"text": row.name}],
                 "telecom": [point("phone", row.phone), point("email", row.email)],
                 "address": [{"text": row.address}]}),
        compact({**base("PractitionerRole", "role"), "practitioner": practitioner,
                 "specialty": [{"text": row.specialty}]}),
        compact({**base("CareTeam", "careTeam"), "status": "active", "subject": patient,
                 "participant": [{"role": [{"text": row.specialty}], "member": practitioner}],
                 "note": [{"text": row.notes}]}),
    ]  # fmt: skip
    if row.nextAppointment:
        made.append({**base("Appointment", "nextAppointment"), "status": "proposed",
                     "requestedPeriod": [{"start": fhir_datetime(row.nextAppointment)}],
                     "participant": [{"actor": patient, "status": "accepted"},
                                     {"actor": practitioner, "status": "needs-action"}]})  # fmt: skip
    return made


def rows(view: FhirView) -> list[Exported]:
    out: list[Exported] = []
    for team in view.of_type("CareTeam"):
        native = view.native_id(team, "Providers")
        if native is None:
            continue
        identity = Identity.of(view.app, "Providers", native)
        practitioner = view.get(f"Practitioner/{identity.resource_id()}")
        if practitioner is None:
            continue
        appointment = view.get(f"Appointment/{identity.resource_id('nextAppointment')}")
        telecom = practitioner.get("telecom", ())
        member: Json = next(iter(team.get("participant", ())), {})
        row = Provider(
            id=int(native),
            userId=user_id(view, view.get(team.get("subject")) or view.patient),
            name=next((n["text"] for n in practitioner.get("name", ()) if n.get("text")), ""),
            specialty=text_of(next(iter(member.get("role", ())), None)),
            phone=(first(telecom, system="phone") or {}).get("value"),
            email=(first(telecom, system="email") or {}).get("value"),
            address=next((a.get("text") for a in practitioner.get("address", ())), None),
            notes=next((n.get("text") for n in team.get("note", ())), None),
            nextAppointment=next(
                (p.get("start") for p in (appointment or {}).get("requestedPeriod", ())), None
            ),
        )
        sources = [view.ref(team), view.ref(practitioner)]
        if appointment:
            sources.append(view.ref(appointment))
        out.append(Exported("Providers", row, tuple(sources)))
    return out


ENTITY = Entity(
    name="Providers",
    model=Provider,
    to_fhir=to_fhir,
    primary=("Practitioner",),
    foreign_keys={"userId": "Users"},
    fields={
        "id": home("Practitioner, PractitionerRole, CareTeam identifier (…/Providers)"),
        "userId": home("CareTeam.subject -> the patient's Patient"),
        "name": home("Practitioner.name.text"),
        "specialty": home("PractitionerRole.specialty.text and CareTeam.participant.role.text"),
        "phone": home("Practitioner.telecom (phone)"),
        "email": home("Practitioner.telecom (email)"),
        "address": home("Practitioner.address.text"),
        "notes": home("CareTeam.note.text"),
        "nextAppointment": home("Appointment (proposed) requestedPeriod.start"),
        "createdAt": no_home(BOOKKEEPING),
        "updatedAt": no_home(BOOKKEEPING),
    },
)
