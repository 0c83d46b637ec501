"""A small population for compartment and `$everything` tests, written with PUT at chosen ids.

Who is in which compartment, by the R4 CompartmentDefinitions (compartmentdefinition-*.html):
- Patient pat-a: itself; pat-link (its `link` points at pat-a); rp-1 (RelatedPerson.patient);
  enc-a1, enc-a2 (Encounter.patient); obs-a1, obs-a3 (Observation.subject), obs-a2 (subject as
  an absolute URL under this server's base), obs-b2 (subject pat-b, but `performer` pat-a);
  cond-a1 (Condition.patient); ms-a1 (MedicationStatement.subject). Not prac-1, org-1, dev-1.
- Patient pat-b: itself; enc-b1, obs-b1, obs-b2, obs-rp, cond-b1.
- Encounter enc-a1: itself, obs-a1 (Observation.encounter), cond-a1 (Condition.encounter).
- Practitioner prac-1: enc-a1 (participant), obs-a1 (performer), ms-a1 (informationSource).
- RelatedPerson rp-1: obs-rp (performer).   Device dev-1: obs-a3 (Observation.device).
Care dates (for `start`/`end`): 2024 holds enc-a1, obs-a1, ms-a1, cond-a1; 2025 enc-a2, obs-a2;
2022 obs-b2; obs-a3 has none.
"""

from __future__ import annotations

from gateway.jsonio import Json

BASE = "http://test/fhir"
LOINC = "http://loinc.org"


def _ref(reference: str) -> Json:
    return {"reference": reference}


def _observation(
    id_: str, subject: str, code: str, effective: str | None = None, **more: Json
) -> Json:
    resource: Json = {
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": _ref(subject),
        **more,
    }
    if effective:
        resource["effectiveDateTime"] = effective
    return resource


def _encounter(id_: str, patient: str, start: str, **more: Json) -> Json:
    return {
        "resourceType": "Encounter",
        "id": id_,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": _ref(patient),
        "period": {"start": start, "end": start},
        **more,
    }


def _condition(id_: str, patient: str, onset: str, **more: Json) -> Json:
    return {"resourceType": "Condition", "id": id_, "subject": _ref(patient),
            "onsetDateTime": onset, **more}  # fmt: skip


POPULATION: list[Json] = [
    {"resourceType": "Patient", "id": "pat-a", "name": [{"family": "Abara"}]},
    {"resourceType": "Patient", "id": "pat-b", "name": [{"family": "Bosco"}]},
    {"resourceType": "Patient", "id": "pat-link",
     "link": [{"other": _ref("Patient/pat-a"), "type": "seealso"}]},
    {"resourceType": "Practitioner", "id": "prac-1", "name": [{"family": "Okafor"}]},
    {"resourceType": "Organization", "id": "org-1", "name": "Harbour Clinic"},
    {"resourceType": "Device", "id": "dev-1", "patient": _ref("Patient/pat-a")},
    {"resourceType": "RelatedPerson", "id": "rp-1", "patient": _ref("Patient/pat-a")},
    _encounter("enc-a1", "Patient/pat-a", "2024-01-10",
               participant=[{"individual": _ref("Practitioner/prac-1")}]),
    _encounter("enc-a2", "Patient/pat-a", "2025-06-01"),
    _encounter("enc-b1", "Patient/pat-b", "2024-03-03"),
    _observation("obs-a1", "Patient/pat-a", "8867-4", "2024-01-10",
                 encounter=_ref("Encounter/enc-a1"), performer=[_ref("Practitioner/prac-1")]),
    _observation("obs-a2", f"{BASE}/Patient/pat-a", "718-7", "2025-06-01",
                 encounter=_ref("Encounter/enc-a2")),
    _observation("obs-a3", "Patient/pat-a", "8867-4", device=_ref("Device/dev-1")),
    _observation("obs-b1", "Patient/pat-b", "8867-4", "2024-03-03"),
    _observation("obs-b2", "Patient/pat-b", "718-7", "2022-02-02",
                 performer=[_ref("Patient/pat-a")]),
    _observation("obs-rp", "Patient/pat-b", "8867-4", "2024-04-04",
                 performer=[_ref("RelatedPerson/rp-1")]),
    _condition("cond-a1", "Patient/pat-a", "2024-05-01", encounter=_ref("Encounter/enc-a1")),
    _condition("cond-b1", "Patient/pat-b", "2021-01-01"),
    {"resourceType": "MedicationStatement", "id": "ms-a1", "status": "active",
     "medicationCodeableConcept": {"text": "metformin"}, "subject": _ref("Patient/pat-a"),
     "informationSource": _ref("Practitioner/prac-1"), "effectiveDateTime": "2024-02"},
]  # fmt: skip

# $everything of pat-a, by type (R4 Patient compartment, see the module docstring).
EVERYTHING_A = {
    "Patient": ["pat-a", "pat-link"],
    "Condition": ["cond-a1"],
    "Encounter": ["enc-a1", "enc-a2"],
    "MedicationStatement": ["ms-a1"],
    "Observation": ["obs-a1", "obs-a2", "obs-a3", "obs-b2"],
    "RelatedPerson": ["rp-1"],
}
