"""Search on every R4 parameter of the types kept whole (issue 10): the questions a clinical app
asks of conditions, allergies, prescriptions, immunizations, procedures, reports, care plans,
goals, documents, practitioners, organizations, locations, devices, imaging studies,
provenance and appointments, with chains, reverse chains, includes, `:missing`, `:not`, date
prefixes, sorting and paging. Expectations are named by hand from the population below."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.conftest import populated_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CVX = "http://hl7.org/fhir/sid/cvx"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"


def _concept(system: str, code: str, display: str | None = None) -> Json:
    coding = {"system": system, "code": code}
    return {"coding": [{**coding, "display": display} if display else coding]}


def _ref(reference: str) -> Json:
    return {"reference": reference}


def _r(resource_type: str, resource_id: str, **elements: Any) -> Json:
    return {"resourceType": resource_type, "id": resource_id, **elements}


POPULATION: list[Json] = [
    _r("Patient", "p1", name=[{"family": "Rivera", "given": ["Ana"]}]),
    _r("Patient", "p2", name=[{"family": "Okafor", "given": ["Chidi"]}]),
    _r("Encounter", "e1", status="finished", subject=_ref("Patient/p1"),
       **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}),
    _r("Encounter", "e2", status="finished", subject=_ref("Patient/p2"),
       **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}}),
    _r("Practitioner", "pr1", name=[{"family": "Smith", "given": ["John"]}]),
    _r("Practitioner", "pr2", name=[{"family": "Smithson", "given": ["Jane"]}]),
    _r("Practitioner", "pr3", name=[{"family": "Jones", "given": ["Ann"]}], active=False),
    _r("Organization", "org1", name="Harbour Clinic",
       address=[{"city": "Boston", "line": ["1 Quay St"]}]),
    _r("Organization", "org2", name="Smith & Co", partOf=_ref("Organization/org1")),
    _r("Location", "loc1", name="Main Campus", status="active", address={"city": "Boston"},
       managingOrganization=_ref("Organization/org1")),
    _r("Location", "loc2", name="Annex", status="inactive", address={"city": "Salem"}),
    _r("Condition", "c1", clinicalStatus=_concept(CLINICAL, "active"),
       code=_concept(SNOMED, "44054006", "Diabetes mellitus type 2"), subject=_ref("Patient/p1"),
       encounter=_ref("Encounter/e1"), onsetDateTime="2019-05", recordedDate="2019-06-02",
       abatementAge={"value": 2, "system": "http://unitsofmeasure.org", "code": "a", "unit": "y"}),
    _r("Condition", "c2", clinicalStatus=_concept(CLINICAL, "resolved"),
       code=_concept(SNOMED, "38341003", "Hypertension"), subject=_ref("Patient/p1"),
       onsetDateTime="2015"),
    _r("Condition", "c3", clinicalStatus=_concept(CLINICAL, "active"),
       code=_concept(SNOMED, "44054006", "Diabetes mellitus type 2"), subject=_ref("Patient/p2"),
       encounter=_ref("Encounter/e2")),
    _r("AllergyIntolerance", "a1", patient=_ref("Patient/p1"), criticality="high",
       clinicalStatus=_concept(ALLERGY_CLINICAL, "active"), code=_concept(SNOMED, "91935009")),
    _r("AllergyIntolerance", "a2", patient=_ref("Patient/p2"), criticality="low",
       clinicalStatus=_concept(ALLERGY_CLINICAL, "inactive"), code=_concept(SNOMED, "300913006")),
    _r("Medication", "med1", code=_concept(RXNORM, "197361")),
    _r("MedicationRequest", "mr1", status="active", intent="order", subject=_ref("Patient/p1"),
       medicationCodeableConcept=_concept(RXNORM, "860975"), authoredOn="2024-03-01"),
    _r("MedicationRequest", "mr2", status="stopped", intent="plan", subject=_ref("Patient/p1"),
       medicationReference=_ref("Medication/med1"), authoredOn="2020-01-01"),
    _r("MedicationRequest", "mr3", status="active", intent="order", subject=_ref("Patient/p2"),
       medicationCodeableConcept=_concept(RXNORM, "860975"), authoredOn="2025-06-01",
       requester=_ref("Practitioner/pr1")),
    _r("Immunization", "i1", status="completed", vaccineCode=_concept(CVX, "140"),
       patient=_ref("Patient/p1"), occurrenceDateTime="2021-10-01"),
    _r("Immunization", "i2", status="completed", vaccineCode=_concept(CVX, "08"),
       patient=_ref("Patient/p2"), occurrenceDateTime="1991-07-08T01:39:26Z"),
    _r("Procedure", "proc1", status="completed", code=_concept(SNOMED, "73761001"),
       subject=_ref("Patient/p1"), performedPeriod={"start": "2020-01-01", "end": "2020-01-02"}),
    _r("Procedure", "proc2", status="completed", code=_concept(SNOMED, "80146002"),
       subject=_ref("Patient/p2"), performedDateTime="2023-05-05"),
    _r("Observation", "o1", status="final", code=_concept(LOINC, "718-7"),
       subject=_ref("Patient/p1")),
    _r("DiagnosticReport", "dr1", status="final", code=_concept(LOINC, "24323-8"),
       subject=_ref("Patient/p1"), effectiveDateTime="2022-02-02", result=[_ref("Observation/o1")]),
    _r("CarePlan", "cp1", status="active", intent="plan", subject=_ref("Patient/p1"),
       period={"start": "2020-01-01"}),
    _r("CarePlan", "cp2", status="completed", intent="plan", subject=_ref("Patient/p2"),
       period={"start": "2010-01-01", "end": "2011-12-31"}),
    _r("Goal", "g1", lifecycleStatus="active", description={"text": "HbA1c below 7"},
       subject=_ref("Patient/p1"), target=[{"dueDate": "2026-01-01"}]),
    _r("Goal", "g2", lifecycleStatus="completed", description={"text": "Weight"},
       subject=_ref("Patient/p2")),
    _r("DocumentReference", "doc1", status="current", type=_concept(LOINC, "34117-2"),
       subject=_ref("Patient/p1"), date="2022-02-02T10:00:00Z", author=[_ref("Practitioner/pr1")],
       content=[{"attachment": {"contentType": "text/plain"}}]),
    _r("Device", "dev1", patient=_ref("Patient/p1"), manufacturer="Acme",
       type=_concept(SNOMED, "337414009")),
    _r("Device", "dev2", manufacturer="Other"),
    _r("ImagingStudy", "is1", status="available", subject=_ref("Patient/p1"),
       started="2021-03-03T09:00:00Z",
       series=[{"uid": "1.2.3", "modality": {"system": "http://dicom.nema.org/resources/ontology/DCM",
                                            "code": "DX"}}]),
    _r("Provenance", "prov1", target=[_ref("Condition/c1"), _ref("Condition/c2")],
       recorded="2024-01-01T00:00:00Z", agent=[{"who": _ref("Practitioner/pr1")}]),
    _r("Appointment", "ap1", status="booked", start="2026-02-01T10:00:00Z",
       end="2026-02-01T10:30:00Z",
       participant=[{"actor": _ref("Patient/p1"), "status": "accepted"},
                    {"actor": _ref("Practitioner/pr1"), "status": "accepted"}]),
    _r("Appointment", "ap2", status="fulfilled", start="2025-06-01T10:00:00Z",
       end="2025-06-01T10:30:00Z", participant=[{"actor": _ref("Patient/p1"), "status": "accepted"}]),
    _r("Appointment", "ap3", status="booked", start="2026-03-01T10:00:00Z",
       end="2026-03-01T10:30:00Z", participant=[{"actor": _ref("Patient/p2"), "status": "accepted"}]),
    _r("Group", "grp1", type="person", actual=True, characteristic=[
        {"code": _concept("urn:c", "gender"), "valueCodeableConcept": _concept("urn:g", "female"),
         "exclude": False},
        {"code": _concept("urn:c", "smoker"), "valueBoolean": True, "exclude": False},
    ]),
]  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def population() -> AsyncIterator[AsyncClient]:
    async with populated_client(POPULATION) as client:
        yield client


def _ids(bundle: Json, mode: str = "match") -> list[str]:
    return [
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e["search"]["mode"] == mode
    ]


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        # Condition: the issue's own question, then code, status, dates, :missing, :not, chains
        pytest.param("Condition", "patient=p1&clinical-status=active", ["c1"], id="condition-active"),
        pytest.param("Condition", f"clinical-status={CLINICAL}|resolved", ["c2"],
                     id="condition-status-with-system"),
        pytest.param("Condition", "clinical-status:not=active", ["c2"], id="condition-not"),
        pytest.param("Condition", f"code={SNOMED}|44054006", ["c1", "c3"], id="condition-code"),
        pytest.param("Condition", "code=44054006,38341003&patient=p1", ["c1", "c2"],
                     id="condition-code-or"),
        pytest.param("Condition", "code:text=diabetes", ["c1", "c3"], id="condition-code-text"),
        pytest.param("Condition", "onset-date=ge2019", ["c1"], id="condition-onset-ge"),
        pytest.param("Condition", "onset-date=lt2016", ["c2"], id="condition-onset-lt"),
        pytest.param("Condition", "onset-date:missing=true", ["c3"], id="condition-onset-missing"),
        pytest.param("Condition", "encounter:missing=true", ["c2"], id="condition-no-encounter"),
        pytest.param("Condition", "recorded-date=2019-06", ["c1"], id="condition-recorded-month"),
        pytest.param("Condition", "abatement-age=gt20|http://unitsofmeasure.org|mo", ["c1"],
                     id="condition-age-in-any-unit"),
        pytest.param("Condition", "abatement-age=gt30|http://unitsofmeasure.org|mo", [],
                     id="condition-age-in-any-unit-too-high"),
        pytest.param("Condition", "patient.name=rivera", ["c1", "c2"], id="condition-chain-name"),
        pytest.param("Condition", "encounter.patient=p2", ["c3"], id="condition-chain-encounter"),
        # AllergyIntolerance
        pytest.param("AllergyIntolerance", "patient=p1&clinical-status=active", ["a1"],
                     id="allergy-active"),
        pytest.param("AllergyIntolerance", "criticality=high", ["a1"], id="allergy-criticality"),
        pytest.param("AllergyIntolerance", "code=300913006", ["a2"], id="allergy-code"),
        # MedicationRequest
        pytest.param("MedicationRequest", "status=active", ["mr1", "mr3"], id="med-status"),
        pytest.param("MedicationRequest", "intent=plan", ["mr2"], id="med-intent"),
        pytest.param("MedicationRequest", "authoredon=ge2024-01-01", ["mr1", "mr3"],
                     id="med-authored-ge"),
        pytest.param("MedicationRequest", "authoredon=sa2024-03-01", ["mr3"], id="med-authored-sa"),
        pytest.param("MedicationRequest", "patient=p1&status=active", ["mr1"], id="med-patient"),
        pytest.param("MedicationRequest", f"code={RXNORM}|860975", ["mr1", "mr3"], id="med-code"),
        pytest.param("MedicationRequest", "medication.code=197361", ["mr2"],
                     id="med-chain-medication-code"),
        pytest.param("MedicationRequest", "requester:Practitioner.name=smith", ["mr3"],
                     id="med-chain-typed"),
        pytest.param("MedicationRequest", "status:not=active&subject=Patient/p1", ["mr2"],
                     id="med-not"),
        # Immunization
        pytest.param("Immunization", f"vaccine-code={CVX}|140", ["i1"], id="immunization-code"),
        pytest.param("Immunization", "date=lt2000", ["i2"], id="immunization-date-lt"),
        pytest.param("Immunization", "date=ge2021-10-01", ["i1"], id="immunization-date-ge"),
        pytest.param("Immunization", "date=1991-07-08", ["i2"], id="immunization-date-day"),
        # Procedure (a Period and a dateTime)
        pytest.param("Procedure", "date=ge2020-01-01&date=le2020-12-31", ["proc1"],
                     id="procedure-period-in-a-year"),
        pytest.param("Procedure", "date=2023", ["proc2"], id="procedure-year"),
        pytest.param("Procedure", "code=73761001&patient=p1", ["proc1"], id="procedure-code"),
        # DiagnosticReport
        pytest.param("DiagnosticReport", f"code={LOINC}|24323-8&date=2022-02", ["dr1"],
                     id="report-code-and-month"),
        pytest.param("DiagnosticReport", "status=final&patient.name=ana", ["dr1"],
                     id="report-chain-given-name"),
        pytest.param("DiagnosticReport", f"result.code={LOINC}|718-7", ["dr1"],
                     id="report-chain-into-a-domain-type"),
        pytest.param("Observation", "_has:DiagnosticReport:result:status=final", ["o1"],
                     id="domain-type-has-a-report"),
        # CarePlan: an open period reaches on
        pytest.param("CarePlan", "patient=p1&status=active", ["cp1"], id="careplan-status"),
        pytest.param("CarePlan", "date=gt2015", ["cp1"], id="careplan-open-period"),
        pytest.param("CarePlan", "date=lt2012", ["cp2"], id="careplan-closed-period"),
        # Goal
        pytest.param("Goal", "lifecycle-status=active", ["g1"], id="goal-lifecycle"),
        pytest.param("Goal", "target-date=2026-01-01", ["g1"], id="goal-target-date"),
        pytest.param("Goal", "target-date:missing=true", ["g2"], id="goal-target-missing"),
        # DocumentReference
        pytest.param("DocumentReference", "type=34117-2&patient=p1", ["doc1"], id="document-type"),
        pytest.param("DocumentReference", "date=ge2022", ["doc1"], id="document-date"),
        pytest.param("DocumentReference", "contenttype=text/plain", ["doc1"],
                     id="document-content-type"),
        pytest.param("DocumentReference", "author:Practitioner.name=smith", ["doc1"], id="document-chain"),
        # Practitioner: string search, :exact, :contains
        pytest.param("Practitioner", "name=smith", ["pr1", "pr2"], id="practitioner-name"),
        pytest.param("Practitioner", "name:exact=Smith", ["pr1"], id="practitioner-exact"),
        pytest.param("Practitioner", "family:contains=mit", ["pr1", "pr2"],
                     id="practitioner-contains"),
        pytest.param("Practitioner", "given=ann,jane", ["pr2", "pr3"], id="practitioner-given-or"),
        pytest.param("Practitioner", "active:not=false", ["pr1", "pr2"], id="practitioner-active"),
        # Organization, Location
        pytest.param("Organization", "name=harbour", ["org1"], id="organization-name"),
        pytest.param("Organization", "address-city=BOSTON", ["org1"], id="organization-city"),
        pytest.param("Organization", "partof=org1", ["org2"], id="organization-partof"),
        pytest.param("Organization", "partof:missing=true", ["org1"], id="organization-no-parent"),
        pytest.param("Location", "address-city=boston&status=active", ["loc1"], id="location"),
        pytest.param("Location", "organization.name=harbour", ["loc1"], id="location-chain"),
        # Device, ImagingStudy
        pytest.param("Device", "patient=p1", ["dev1"], id="device-patient"),
        pytest.param("Device", "manufacturer=acme", ["dev1"], id="device-manufacturer"),
        pytest.param("Device", "patient:missing=true", ["dev2"], id="device-no-patient"),
        pytest.param("ImagingStudy", "patient=p1&modality=DX", ["is1"], id="imaging-modality"),
        pytest.param("ImagingStudy", "started=2021-03", ["is1"], id="imaging-started"),
        # Provenance
        pytest.param("Provenance", "target=Condition/c1", ["prov1"], id="provenance-target"),
        pytest.param("Provenance", "target:Condition=c2", ["prov1"], id="provenance-target-typed"),
        pytest.param("Provenance", "agent=Practitioner/pr1", ["prov1"], id="provenance-agent"),
        # Appointment: the issue's question
        pytest.param("Appointment", "patient=p1&date=ge2026-01-01", ["ap1"], id="appointment"),
        pytest.param("Appointment", "date=lt2026", ["ap2"], id="appointment-before"),
        pytest.param("Appointment", "practitioner=pr1", ["ap1"], id="appointment-practitioner"),
        pytest.param("Appointment", "actor=Patient/p2", ["ap3"], id="appointment-actor"),
        # Reverse chains into and through the types kept whole
        pytest.param("Patient", "_has:Condition:patient:code=38341003", ["p1"], id="has-condition"),
        pytest.param("Encounter", "_has:Condition:encounter:clinical-status=active", ["e1", "e2"],
                     id="has-condition-encounter"),
        pytest.param("Practitioner", "_has:Appointment:practitioner:status=booked", ["pr1"],
                     id="has-appointment"),
        pytest.param("Medication", "_has:MedicationRequest:medication:status=stopped", ["med1"],
                     id="has-medication-request"),
        # A composite: one characteristic holds both
        pytest.param("Group", "characteristic-value=gender$female", ["grp1"], id="composite"),
        pytest.param("Group", "characteristic-value=smoker$female", [], id="composite-same-entry"),
    ],
)  # fmt: skip
async def test_search_finds_the_matching_ids(
    population: AsyncClient, path: str, query: str, expected: list[str]
) -> None:
    response = await population.get(f"/{path}?{query}")
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert sorted(_ids(bundle)) == [f"{path}/{i}" for i in expected]
    assert not [e for e in bundle.get("entry", []) if e["search"]["mode"] == "outcome"]


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        pytest.param("MedicationRequest", "_sort=-authoredon", ["mr3", "mr1", "mr2"],
                     id="date-descending"),
        pytest.param("Condition", "_sort=onset-date", ["c3", "c2", "c1"], id="date-missing-first"),
        pytest.param("Practitioner", "_sort=family", ["pr3", "pr1", "pr2"], id="string"),
        pytest.param("Immunization", "_sort=vaccine-code", ["i2", "i1"], id="token"),
        pytest.param("Appointment", "_sort=status,-date", ["ap3", "ap1", "ap2"], id="two-keys"),
    ],
)  # fmt: skip
async def test_sort_by_any_parameter_with_an_order(
    population: AsyncClient, path: str, query: str, expected: list[str]
) -> None:
    bundle = (await population.get(f"/{path}?{query}")).json()
    assert _ids(bundle) == [f"{path}/{i}" for i in expected]


async def test_pages_follow_the_sort_of_a_generic_parameter(population: AsyncClient) -> None:
    seen: list[str] = []
    url: str | None = "/MedicationRequest?_sort=authoredon&_count=1"
    while url:
        bundle = (await population.get(url)).json()
        seen += _ids(bundle)
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        url = url.removeprefix("http://test/fhir") if url else None
    assert seen == ["MedicationRequest/mr2", "MedicationRequest/mr1", "MedicationRequest/mr3"]


@pytest.mark.parametrize(
    ("path", "query", "matched", "included"),
    [
        pytest.param("MedicationRequest", "_id=mr2&_include=MedicationRequest:medication",
                     ["MedicationRequest/mr2"], ["Medication/med1"], id="include-medication"),
        pytest.param("Condition", "_id=c1&_revinclude=Provenance:target", ["Condition/c1"],
                     ["Provenance/prov1"], id="revinclude-provenance"),
        pytest.param("Condition", "_id=c1&_include=*", ["Condition/c1"],
                     ["Encounter/e1", "Patient/p1"], id="include-wildcard"),
        pytest.param("Appointment", "_id=ap1&_include=Appointment:actor", ["Appointment/ap1"],
                     ["Patient/p1", "Practitioner/pr1"], id="include-actors"),
        pytest.param("Provenance", "_id=prov1&_include=Provenance:target"
                     "&_include:iterate=Condition:patient", ["Provenance/prov1"],
                     ["Condition/c1", "Condition/c2", "Patient/p1"], id="include-iterate"),
        pytest.param("Organization", "_id=org1&_revinclude=Location:organization"
                     "&_revinclude=Organization:partof", ["Organization/org1"],
                     ["Location/loc1", "Organization/org2"], id="revinclude-two"),
    ],
)  # fmt: skip
async def test_includes_follow_any_reference_parameter(
    population: AsyncClient, path: str, query: str, matched: list[str], included: list[str]
) -> None:
    bundle = (await population.get(f"/{path}?{query}")).json()
    assert (_ids(bundle), sorted(_ids(bundle, "include"))) == (matched, included)


@pytest.mark.parametrize(
    ("path", "query", "expression"),
    [
        pytest.param("Condition", "onset-date=yesterday", "onset-date", id="date"),
        pytest.param("MedicationRequest", "authoredon=2024-13", "authoredon", id="date-month"),
        pytest.param("Immunization", "date:exact=2020", "date", id="date-modifier"),
        pytest.param("Condition", "code:below=1", "code", id="token-modifier"),
        pytest.param("Practitioner", "name:text=x", "name", id="string-modifier"),
        pytest.param("Group", "characteristic-value=gender", "characteristic-value",
                     id="composite-arity"),
        pytest.param("RiskAssessment", "probability=abc", "probability", id="number"),
        pytest.param("Practitioner", "active=yes", "active", id="boolean"),
        pytest.param("Condition", "abatement-age=5|a", "abatement-age", id="quantity"),
        pytest.param("Condition", "patient:identifier=urn:x|1", "patient",
                     id="reference-identifier"),
        pytest.param("Condition", "patient:Group=g1", "patient", id="reference-wrong-type"),
        pytest.param("Condition", "asserter.colour=x", "asserter.colour", id="chain-unknown"),
        pytest.param("Condition", "code.name=x", "code.name", id="chain-from-a-token"),
    ],
)  # fmt: skip
async def test_an_invalid_value_is_400_naming_the_parameter(
    population: AsyncClient, path: str, query: str, expression: str
) -> None:
    response = await population.get(f"/{path}?{query}")
    assert response.status_code == 400, response.text
    issue = response.json()["issue"][0]
    assert expression in issue.get("expression", []) or f"`{expression}`" in issue["diagnostics"]


async def test_strict_handling_names_an_unsupported_parameter_and_why(
    population: AsyncClient,
) -> None:
    strict = {"Prefer": "handling=strict"}
    response = await population.get("/Location?near=42.3|-71.0|10|km", headers=strict)
    assert response.status_code == 400
    (issue,) = response.json()["issue"]
    assert issue["expression"] == ["near"]
    assert "`near` of Location is not supported: special parameters" in issue["diagnostics"]
    lenient = (await population.get("/Location?near=42.3|-71.0|10|km&status=active")).json()
    assert _ids(lenient) == ["Location/loc1"]
    (outcome,) = [e["resource"] for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert "`near`" in outcome["issue"][0]["diagnostics"]
