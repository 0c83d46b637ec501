"""An EHR's FHIR (or another app's) on the twin's timeline: resources without the twin's
identifier become events where the twin has a home for them, named by their FHIR id.

Laboratory Observations become `lab_result` events with biomarkers, grouped by the
DiagnosticReport that lists them (one event per report, one per Observation outside a
report); Encounters become `doctor_visit`s; MedicationStatements and MedicationRequests
`medication`s; vital-signs Observations and Observations from a device `metric`s (source
`manual` without a device; a blood pressure panel one per component). A resource that lacks what a required field needs (a visit
without a doctor's name, a medication without a dose, a panel without a quantity) is left out.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError

from gateway.jsonio import Json
from mappers.apps.medical_twin import labs, metrics, visits
from mappers.apps.medical_twin.common import present
from mappers.apps.medical_twin.models import Event
from mappers.apps.view import Exported, FhirView, concept_text


def foreign_events(view: FhirView, user_id: str) -> list[Exported]:
    found = []
    for fields, sources in _candidates(view):
        try:
            row = Event.model_validate({"userId": user_id, **fields})
        except ValidationError:
            continue  # lacks what a required field needs
        found.append(Exported("Event", row, tuple(view.ref(s) for s in sources)))
    return found


def _foreign(view: FhirView, resource_type: str) -> list[Json]:
    return [r for r in view.of_type(resource_type) if view.native_id(r, "Event") is None]


def _category(observation: Json) -> set[str]:
    return {
        c.get("code")
        for concept in observation.get("category", ())
        for c in concept.get("coding", ())
    }


def _candidates(view: FhirView) -> Iterator[tuple[Json, list[Json]]]:
    reported: set[str] = set()
    for report in _foreign(view, "DiagnosticReport"):
        results = [r for r in map(view.get, report.get("result", ())) if r is not None]
        reported.update(view.ref(r) for r in results)
        yield _lab(report, results), [report, *results]
    for observation in _foreign(view, "Observation"):
        kinds = _category(observation)
        if "laboratory" in kinds and view.ref(observation) not in reported:
            yield _lab(observation, [observation]), [observation]
        elif "laboratory" not in kinds and ("vital-signs" in kinds or "device" in observation):
            for part in _measures(observation):
                yield _metric(part, view), [observation]
    for encounter in _foreign(view, "Encounter"):
        yield _visit(encounter, view), [encounter]
    for kind in ("MedicationStatement", "MedicationRequest"):
        for medication in _foreign(view, kind):
            yield _medication(medication), [medication]


def _when(resource: Json) -> str | None:
    period = resource.get("effectivePeriod") or resource.get("period") or {}
    found = resource.get("effectiveDateTime") or resource.get("effectiveInstant")
    return found or period.get("start") or resource.get("issued")


def _lab(source: Json, results: list[Json]) -> Json:
    markers = [b for b in map(labs.biomarker, results) if b is not None]
    performer = (source.get("performer") or [{}])[0]
    return present(
        id=source["id"], type="lab_result", date=_when(source),
        title=concept_text(source.get("code")), labName=performer.get("display"),
        biomarkers=markers or None,
    )  # fmt: skip


def _measures(observation: Json) -> list[Json]:
    """The Observation itself, or for a panel of components (blood pressure) one Observation
    per component with a quantity, id `<id>:<component code>`: a metric holds one value."""
    if "valueQuantity" in observation or not observation.get("component"):
        return [observation]
    found = []
    for component in observation["component"]:
        code = next((c.get("code") for c in component.get("code", {}).get("coding", ())), None)
        if "valueQuantity" in component and isinstance(code, str):
            part = {k: v for k, v in observation.items() if k != "component"}
            found.append(part | component | {"id": f"{observation['id']}:{code}"})
    return found


def _metric(observation: Json, view: FhirView) -> Json:
    return {
        "id": observation["id"],
        "type": "metric",
        **present(date=_when(observation), title=concept_text(observation.get("code"))),
        **(metrics.fields(observation, view) or {}),
    }


def _visit(encounter: Json, view: FhirView) -> Json:
    fields = visits.fields(encounter, view)
    if "doctorName" not in fields:
        for participant in encounter.get("participant", ()):
            name = _person_name(view.get(participant.get("individual")))
            if name:
                fields["doctorName"] = name
                break
    kind = encounter.get("class", {})
    title = (
        concept_text((encounter.get("type") or [None])[0])
        or kind.get("display")
        or kind.get("code")
    )
    reasons = [concept_text(c) for c in encounter.get("reasonCode", ())]
    fields.setdefault("diagnosis", [r for r in reasons if r] or None)
    return present(
        id=encounter["id"], type="doctor_visit", date=_when(encounter), title=title,
        **{k: v for k, v in fields.items() if v is not None},
    )  # fmt: skip


def _person_name(person: Json | None) -> str | None:
    for name in (person or {}).get("name", ()):
        text = name.get("text") or " ".join([*name.get("prefix", ()), *name.get("given", ()), name.get("family", "")]).strip()  # fmt: skip
        if text:
            return str(text)
    return None


def _medication(resource: Json) -> Json:
    dosages = resource.get("dosage") or resource.get("dosageInstruction") or [{}]
    dosage = dosages[0]
    dose = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity") or {}
    dose_text = dosage.get("text") or (
        f"{dose['value']} {dose.get('unit', '')}".strip() if "value" in dose else None
    )
    repeat = dosage.get("timing", {}).get("repeat", {})
    frequency = concept_text(dosage.get("timing", {}).get("code")) or (
        f"{repeat['frequency']} per {repeat.get('period', 1)} {repeat.get('periodUnit', 'd')}"
        if "frequency" in repeat
        else ("as needed" if dosage.get("asNeededBoolean") else None)
    )
    start = _when(resource) or resource.get("authoredOn")
    return present(
        id=resource["id"], type="medication", date=start, startDate=start,
        endDate=(resource.get("effectivePeriod") or {}).get("end"),
        title=concept_text(resource.get("medicationCodeableConcept")),
        medicationName=concept_text(resource.get("medicationCodeableConcept")),
        dosage=dose_text, frequency=frequency,
        reason=concept_text((resource.get("reasonCode") or [None])[0]),
    )  # fmt: skip
