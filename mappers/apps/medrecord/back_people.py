"""Practitioner (+ PractitionerRole) -> Provider; Patient (+ Coverage) -> Patient.

The app's own resources come back whole (or not at all). An EHR's Practitioner and Patient
(no app identifier) come back named by their FHIR id with what FHIR has, as partial rows when
the model requires what only the app records: a provider's email (its login), a patient's
emergency contact (name and phone), which EHRs rarely record. Re-sending such a row is a 422
naming the missing fields. https://hl7.org/fhir/R4/practitioner.html, patient.html
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from gateway.jsonio import Json
from mappers.apps.concepts import untranslate
from mappers.apps.medrecord.common import cm
from mappers.apps.medrecord.models import Patient, Provider
from mappers.apps.medrecord.people import EMERGENCY, LICENSE
from mappers.apps.medrecord.reading import drop_none, first, native_of, own, valid
from mappers.apps.native import NativeRow
from mappers.apps.view import Exported, FhirView, partial_row

__all__ = ["patients_back", "providers_back"]

R = TypeVar("R", bound=NativeRow)


def _telecom(resource: Json, system: str) -> str | None:
    for point in resource.get("telecom", ()):
        if point.get("system") == system and isinstance(point.get("value"), str):
            return str(point["value"])
    return None


def _name(resource: Json) -> tuple[str | None, str | None]:
    for name in resource.get("name", ()):
        given = name.get("given") or [None]
        return given[0] if len(given) == 1 else " ".join(given), name.get("family")
    return None, None


def providers_back(view: FhirView) -> list[Exported]:
    roles = own(view, "PractitionerRole", "Provider")
    rows = []
    for practitioner in view.of_type("Practitioner"):
        native = view.native_id(practitioner, "Provider") or str(practitioner["id"])
        role = roles.get(native, [{}])[0]
        given, family = _name(practitioner)
        license_number = next(
            (
                i.get("value")
                for i in practitioner.get("identifier", ())
                if i.get("type") == LICENSE
            ),
            None,
        )
        values = drop_none({
            "id": native, "email": _telecom(practitioner, "email"), "firstName": given,
            "lastName": family, "phone": _telecom(practitioner, "phone"),
            "licenseNumber": license_number,
            "specialty": next((s.get("text") for s in role.get("specialty", ())), None),
        })  # fmt: skip
        row = _row(Provider, values, own=view.native_id(practitioner, "Provider") is not None)
        if row is not None:
            sources = [view.ref(practitioner)] + ([view.ref(role)] if role else [])
            rows.append(Exported("Provider", row, tuple(sources)))
    return rows


def patients_back(view: FhirView, providers: Collection[str]) -> list[Exported]:
    """`providers`: the Provider rows exported, the only ones `providerId` may name."""
    patient = view.patient
    native = view.native_id(patient, "Patient") or str(patient["id"])
    given, family = _name(patient)
    address = first(patient.get("address"))
    contact = _emergency(patient)
    coverage = _coverage(view, native)
    gender = patient.get("gender")
    values: Json = {
        "id": native,
        "firstName": given,
        "lastName": family,
        "dateOfBirth": patient.get("birthDate"),
        "sex": untranslate(cm("medrecord-sex"), gender) if isinstance(gender, str) else None,
        "phone": _telecom(patient, "phone"),
        "email": _telecom(patient, "email"),
        "address": next(iter(address.get("line", ())), None),
        "city": address.get("city"),
        "state": address.get("state"),
        "zipCode": address.get("postalCode"),
        "emergencyContactName": (contact.get("name") or {}).get("text"),
        "emergencyContactPhone": _telecom(contact, "phone"),
        "emergencyContactRelationship": next(
            (r["text"] for r in contact.get("relationship", ()) if "text" in r), None
        ),
    }
    doctor = native_of(view, first(patient.get("generalPractitioner")), "Provider")
    values["providerId"] = doctor if doctor in providers else None
    sources = [view.ref(patient)]
    if coverage is not None:
        sources.append(view.ref(coverage))
        values["insuranceProvider"] = first(coverage.get("payor")).get("display")
        values["insurancePolicyNumber"] = next(
            (i.get("value") for i in coverage.get("identifier", ()) if i.get("use") == "official"),
            None,
        )
    row = _row(Patient, values, own=view.native_id(patient, "Patient") is not None)
    return [] if row is None else [Exported("Patient", row, tuple(sources))]


def _row(model: type[R], values: Json, *, own: bool) -> R | None:
    """An own row whole or not at all; an EHR's with what FHIR gives (`partial_row`)."""
    return valid(model, values) if own else partial_row(model, drop_none(values))


def _emergency(patient: Json) -> Json:
    for contact in patient.get("contact", ()):
        for relationship in contact.get("relationship", ()):
            if EMERGENCY["code"] in (c.get("code") for c in relationship.get("coding", ())):
                return dict(contact)
    return {}


def _coverage(view: FhirView, native: str) -> Json | None:
    found = own(view, "Coverage", "Patient").get(native)
    return found[0] if found else None
