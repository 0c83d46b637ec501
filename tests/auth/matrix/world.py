"""The matrix's world: what is stored, and who each resource belongs to, known independently.

Each resource is written here with its owner (the patient whose compartment it is in, or None)
and, for Observations, its category; the oracle reads these facts, not the server's code. The
references follow R4's Patient compartment: Observation.subject, Encounter.subject,
Condition.subject, MedicationStatement.subject, AllergyIntolerance.patient. The Practitioner and
the Organization are referenced from both patients but belong to no compartment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]

A, B = "pat-a", "pat-b"
NAMES = {A: "Alpha", B: "Bravo"}
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
MARK_SYSTEM = "urn:matrix:mark"
MRN_SYSTEM = "urn:matrix:mrn"  # the patients' identifiers (value: their id)  # identifier system of resources the matrix writes


@dataclass(frozen=True, slots=True)
class Facts:
    """What the oracle knows of one resource."""

    resource_type: str
    id: str
    owner: str | None  # the patient whose compartment holds it
    category: str | None = None  # Observation category code

    @property
    def ref(self) -> str:
        return f"{self.resource_type}/{self.id}"


def observation(
    resource_id: str | None, patient: str, category: str, *, mark: str | None = None
) -> Json:
    code = "2345-7" if category == "laboratory" else "8867-4"
    resource: Json = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "performer": [{"reference": "Practitioner/doc"}],
        "effectiveDateTime": "2026-01-02T10:00:00Z",
        "valueQuantity": {"value": 5, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
    }  # fmt: skip
    if resource_id is not None:
        resource["id"] = resource_id
    if mark is not None:
        resource["identifier"] = [{"system": MARK_SYSTEM, "value": mark}]
    return resource


def _patient(patient: str) -> Json:
    return {
        "resourceType": "Patient", "id": patient, "name": [{"family": NAMES[patient]}],
        "identifier": [{"system": MRN_SYSTEM, "value": patient}],
        "managingOrganization": {"reference": "Organization/org"},
        "generalPractitioner": [{"reference": "Practitioner/doc"}],
    }  # fmt: skip


def _records(patient: str, prefix: str) -> list[Json]:
    subject = {"reference": f"Patient/{patient}"}
    return [
        observation(f"{prefix}-lab", patient, "laboratory"),
        observation(f"{prefix}-vital", patient, "vital-signs"),
        {"resourceType": "Encounter", "id": f"{prefix}-enc", "status": "finished",
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "subject": subject, "serviceProvider": {"reference": "Organization/org"}},
        {"resourceType": "Condition", "id": f"{prefix}-cond", "subject": subject,
         "code": {"text": "hypertension"}},
        {"resourceType": "MedicationStatement", "id": f"{prefix}-med", "status": "active",
         "medicationCodeableConcept": {"text": "aspirin"}, "subject": subject},
        {"resourceType": "AllergyIntolerance", "id": f"{prefix}-alg", "patient": subject,
         "code": {"text": "peanut"}},
    ]  # fmt: skip


RESOURCES: list[Json] = [
    {"resourceType": "Organization", "id": "org", "name": "Lakeside Clinic"},
    {"resourceType": "Practitioner", "id": "doc", "name": [{"family": "Carter"}]},
    _patient(A),
    _patient(B),
    *_records(A, "pa"),
    *_records(B, "pb"),
]


def facts_of(resource: Json) -> Facts:
    """The facts of a resource from its content: its owner by the compartment references above.

    Used for the world's own resources and for what the matrix writes; a resource of a type
    this world does not hold gets owner None (no patient token may see it)."""
    resource_type = str(resource.get("resourceType"))
    resource_id = str(resource.get("id"))
    if resource_type == "Patient":
        return Facts(resource_type, resource_id, resource_id)
    field = "patient" if resource_type == "AllergyIntolerance" else "subject"
    owner = _patient_id(resource.get(field))
    category = None
    if resource_type == "Observation":
        codes = [
            coding.get("code")
            for concept in resource.get("category", [])
            for coding in concept.get("coding", [])
            if coding.get("system") == CATEGORY_SYSTEM
        ]
        category = codes[0] if len(codes) == 1 else None
    if resource_type not in OWNED_TYPES:
        owner = None
    return Facts(resource_type, resource_id, owner, category)


OWNED_TYPES = frozenset(
    {"Observation", "Encounter", "Condition", "MedicationStatement", "AllergyIntolerance"}
)


def _patient_id(reference: object) -> str | None:
    if not isinstance(reference, dict):
        return None
    text = reference.get("reference")
    if not isinstance(text, str) or "Patient/" not in text:
        return None
    return text.rsplit("Patient/", 1)[1].split("/")[0] or None


# History the loader makes after RESOURCES: `moved` is A's lab result re-filed under B (version 2),
# `pa-gone` and `pb-gone` are deleted; a deletion entry of history names the id it deleted.
MOVED = observation("moved", A, "laboratory")
MOVED_TO_B = observation("moved", B, "laboratory")
GONE = [observation("pa-gone", A, "vital-signs"), observation("pb-gone", B, "vital-signs")]

FACTS: dict[str, Facts] = {f.ref: f for f in map(facts_of, [*RESOURCES, MOVED_TO_B])}
DELETED: dict[str, Facts] = {f.ref: f for f in map(facts_of, GONE)}
