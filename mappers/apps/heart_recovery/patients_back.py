"""FHIR -> `Patients` rows: the app's own profiles come back as sent; an EHR's allergy list and
problem list reach the profile's `medicationAllergies`, `otherAllergies` and
`chronicConditions` (the issue's "a clinic's allergy list must reach the cardiac-rehab app's
patient profile").

An own row's facts are found by id (`Identity.resource_id(part)`), not by searching. An EHR's
Patient becomes a profile with id `stable_int("Patient/<id>")`, the patient's own account
(`userId`, the Users row of the same Patient) and, when it names a general practitioner, that
Practitioner as `therapistId`; without one the NOT NULL `therapistId` is left out (a partial
row: a re-send asks the app for it), so the EHR's allergies and conditions still reach it.
"""

from __future__ import annotations

import base64
from typing import Any

from gateway.jsonio import Json
from mappers.apps.concepts import untranslate
from mappers.apps.heart_recovery.common import is_foreign
from mappers.apps.heart_recovery.fhir import SNOMED, first, texts
from mappers.apps.heart_recovery.models import Patient
from mappers.apps.heart_recovery.patient_facts import ALCOHOL, GOALS, SMOKING, SOCIAL_TEXT
from mappers.apps.heart_recovery.patients import CONTACT_TIME, GENDER, SYSTEMS
from mappers.apps.heart_recovery.users import ehr_therapist, user_id
from mappers.apps.native import Identity, stable_int
from mappers.apps.view import Exported, FhirView, partial_row
from mappers.apps.view import concept_text as text_of

__all__ = ["rows"]


def rows(view: FhirView) -> list[Exported]:
    out: list[Exported] = []
    foreign = _foreign_facts(view)
    for patient in _patients(view):
        native = view.native_id(patient, "Patients")
        fields, sources = _own(view, patient, int(native)) if native else _elsewhere(view, patient)
        if fields is None:
            continue
        for name, (values, refs) in foreign.items():
            if values:
                fields[name] = ", ".join([*filter(None, [fields.get(name)]), *values])
                sources = (*sources, *refs)
        row = Patient(**fields) if native else partial_row(Patient, fields)
        if row is not None:
            out.append(Exported("Patients", row, sources))
    return out


def _patients(view: FhirView) -> list[Json]:
    candidates = {view.ref(r): r for r in (view.patient, *view.of_type("Patient"))}
    found = [r for r in candidates.values() if view.native_id(r, "Patients")]
    if found or view.native_id(view.patient, "Users"):
        return found
    return [view.patient]  # an EHR's patient: its own profile, if it can have one


def _foreign_facts(view: FhirView) -> dict[str, tuple[list[str], tuple[str, ...]]]:
    """Allergies and conditions without the app's identifier, by the column they go to."""
    grouped: dict[str, tuple[list[str], tuple[str, ...]]] = {}
    for resource_type, column in (("AllergyIntolerance", None), ("Condition", "chronicConditions")):
        for resource in view.of_type(resource_type):
            text = text_of(resource.get("code"))
            if not is_foreign(resource) or not text:
                continue
            name = column or (
                "medicationAllergies"
                if "medication" in resource.get("category", ())
                else "otherAllergies"
            )
            values, refs = grouped.get(name, ([], ()))
            grouped[name] = ([*values, text], (*refs, view.ref(resource)))
    return grouped


def _elsewhere(view: FhirView, patient: Json) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """An EHR's patient as its own profile: what FHIR has; `therapistId` only from a general
    practitioner, `name` only from the Patient's name (both NOT NULL, left out otherwise)."""
    fields = _demographics(patient)
    doctor = ehr_therapist(view, patient)
    fields.update(
        id=stable_int(view.ref(patient)),
        userId=user_id(view, patient),
        therapistId=user_id(view, doctor) if doctor else None,
    )
    return fields, (view.ref(patient),)


def _own(
    view: FhirView, patient: Json, native: int
) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    identity = Identity.of(view.app, "Patients", native)
    team = view.get(f"CareTeam/{identity.resource_id('therapist')}") or {}
    members = [p.get("member") for p in team.get("participant", ())]
    therapist = next(
        filter(None, (view.get(r) for r in [*members, *patient.get("generalPractitioner", ())])),
        None,
    )
    if therapist is None:
        return None, ()  # the NOT NULL therapist is not gathered: no row can be written
    fields = _demographics(patient)
    fields.update(id=native, therapistId=user_id(view, therapist))
    linked = next((view.get(link["other"]) for link in patient.get("link", ())), None)
    if linked is not None:
        fields["userId"] = user_id(view, linked)
    sources = [view.ref(patient), *([view.ref(team)] if team else [])]

    def fact(resource_type: str, part: str) -> Json | None:
        found = view.get(f"{resource_type}/{identity.resource_id(part)}")
        if found is not None:
            sources.append(view.ref(found))
        return found

    _read_facts(fields, fact)
    return fields, tuple(sources)


def _demographics(patient: Json) -> dict[str, Any]:
    name: Json = next(iter(patient.get("name", ())), {})
    telecom = patient.get("telecom", ())
    phones = [t for t in telecom if t.get("system") == "phone"]
    primary = first(telecom, id="primaryPhone") or (phones[0] if phones else None)
    alternate = first(telecom, id="alternatePhone") or (phones[1] if len(phones) > 1 else None)
    preferred = next((t["system"] for t in telecom if t.get("rank") == 1), None)
    address: Json = next(iter(patient.get("address", ())), {})
    contacts = patient.get("contact", ())
    one, two = first(contacts, id="emergencyContact1"), first(contacts, id="emergencyContact2")
    caregiver = first(contacts, id="primaryCaregiver")
    time = first(patient.get("extension", ()), url=CONTACT_TIME)
    gender = patient.get("gender")
    text = name.get("text") or " ".join([*name.get("given", ()), name.get("family", "")]).strip()
    return {
        "name": text or None,
        "firstName": next(iter(name.get("given", ())), None),
        "lastName": name.get("family"),
        "dateOfBirth": patient.get("birthDate"),
        "gender": untranslate(GENDER, gender) if gender else None,
        "email": (first(telecom, system="email") or {}).get("value"),
        "primaryPhone": (primary or {}).get("value"),
        "primaryPhoneType": (primary or {}).get("use") if (primary or {}).get("use") in ("mobile", "home", "work") else None,
        "alternatePhone": (alternate or {}).get("value"),
        "preferredContactMethod": next((k for k, v in SYSTEMS.items() if v == preferred), None),
        "bestTimeToContact": time.get("valueCode") if time else None,
        "streetAddress": next(iter(address.get("line", ())), None),
        "city": address.get("city"),
        "state": address.get("state"),
        "postalCode": address.get("postalCode"),
        "country": address.get("country"),
        "emergencyContact1Name": _contact_name(one),
        "emergencyContact1Relationship": next(iter(texts(r for r in (one or {}).get("relationship", ()) if not r.get("coding"))), None),
        "emergencyContact1Phone": _contact_phone(one),
        "emergencyContact2Name": _contact_name(two),
        "emergencyContact2Phone": _contact_phone(two),
        "primaryCaregiver": _contact_name(caregiver),
        "isActive": patient.get("active"),
    }  # fmt: skip


def _contact_name(contact: Json | None) -> str | None:
    text = (contact or {}).get("name", {}).get("text")
    return str(text) if text is not None else None


def _contact_phone(contact: Json | None) -> str | None:
    return (first((contact or {}).get("telecom", ()), system="phone") or {}).get("value")


def _read_facts(fields: dict[str, Any], fact: Any) -> None:
    for part in ("medicationAllergies", "otherAllergies"):
        fields[part] = text_of((fact("AllergyIntolerance", part) or {}).get("code"))
    fields["chronicConditions"] = text_of(
        (fact("Condition", "chronicConditions") or {}).get("code")
    )
    surgery = fact("Procedure", "surgery") or {}
    fields["surgeryType"] = text_of(surgery.get("code"))
    fields["surgeryDate"] = surgery.get("performedDateTime")
    coverage = fact("Coverage", "insurance") or {}
    fields["insuranceProvider"] = next((p.get("display") for p in coverage.get("payor", ())), None)
    fields["insurancePolicyNumber"] = coverage.get("subscriberId")
    fields["insuranceGroupNumber"] = next((c.get("value") for c in coverage.get("class", ())), None)
    document = fact("DocumentReference", "dischargeSummary") or {}
    data = next((c["attachment"].get("data") for c in document.get("content", ())), None)
    fields["dischargeSummary"] = base64.b64decode(data).decode() if data else None
    for part, answers in (("smokingStatus", SMOKING), ("alcoholUse", ALCOHOL)):
        value = (fact("Observation", part) or {}).get("valueCodeableConcept", {})
        codes = (
            c["code"] for c in value.get("coding", ()) if c.get("system") == SNOMED and "code" in c
        )
        fields[part] = next(filter(None, (untranslate(answers, code) for code in codes)), None)
    for part in (*SOCIAL_TEXT, "livingSituation"):
        fields[part] = (fact("Observation", part) or {}).get("valueString")
    for part in GOALS:
        target: Json = next(iter((fact("Goal", part) or {}).get("target", ())), {})
        quantity = target.get("detailQuantity") or target.get("detailRange", {}).get("high") or {}
        fields[part] = target.get("detailString") or quantity.get("value")
