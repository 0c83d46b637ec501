"""Every other R4 type, kept whole (issue 4): the instance interactions, search by `_id`,
`_lastUpdated`, `identifier`, `patient`, `subject` and `encounter`, includes and chains into
these types, validation, and a CapabilityStatement that says exactly this."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

from gateway.jsonio import Json
from gateway.search.parameters import parameters_of
from gateway.services.generic import kept_types
from gateway.store.conformance import CONFORMANCE_TYPES
from gateway.store.indexes import index_keys
from tests.api.test_errors import issue, outcome
from tests.conftest import api_client, make_settings, populated_client

pytestmark = pytest.mark.asyncio(loop_scope="module")

BASE = "http://test/fhir"
ORG_IDS = "http://example.org/org-ids"
NPI = "http://hl7.org/fhir/sid/us-npi"
SNOMED = "http://snomed.info/sct"
CVX = "http://hl7.org/fhir/sid/cvx"
LOINC = "http://loinc.org"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _concept(system: str, code: str, display: str | None = None) -> Json:
    coding = {"system": system, "code": code}
    return {"coding": [{**coding, "display": display} if display else coding]}


# One valid resource of each type, written to use elements R4 defines for it (and nothing the
# server sets): what comes back must be this, less the server's id and version meta.
RESOURCES: dict[str, Json] = {
    "Organization": {
        "resourceType": "Organization",
        "meta": {"tag": [{"system": "http://example.org/tags", "code": "network"}]},
        "identifier": [{"system": ORG_IDS, "value": "ORG-1"}],
        "active": True,
        "type": [_concept("http://terminology.hl7.org/CodeSystem/organization-type", "prov")],
        "name": "Harbour Clinic",
        "alias": ["HC"],
        "telecom": [{"system": "phone", "value": "+1 555 0100", "use": "work"}],
        "address": [{"line": ["1 Quay St"], "city": "Boston", "postalCode": "02110"}],
        "extension": [{"url": "http://example.org/beds", "valueInteger": 40}],
    },
    "Practitioner": {
        "resourceType": "Practitioner",
        "identifier": [{"system": NPI, "value": "1234567893"}],
        "active": True,
        "name": [{"family": "Okafor", "given": ["Chidi"], "prefix": ["Dr."]}],
        "gender": "male",
        "birthDate": "1970-02",
        "_birthDate": {"extension": [{"url": "http://example.org/precision", "valueCode": "m"}]},
        "qualification": [{"code": _concept("http://example.org/quals", "MD")}],
    },
    "Condition": {
        "resourceType": "Condition",
        "identifier": [{"system": "http://example.org/conditions", "value": "C-1"}],
        "clinicalStatus": _concept(CLINICAL, "active"),
        "category": [
            _concept(
                "http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item"
            )
        ],
        "code": _concept(SNOMED, "44054006", "Diabetes mellitus type 2"),
        "subject": {"reference": "Patient/p1", "display": "Ana Rivera"},
        "encounter": {"reference": "Encounter/e1"},
        "onsetDateTime": "2019-05",
        "recordedDate": "2019-06-02T10:00:00+02:00",
        "note": [{"text": "diet-controlled at first"}],
    },
    "AllergyIntolerance": {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": _concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"
        ),
        "type": "allergy",
        "category": ["medication"],
        "criticality": "high",
        "code": _concept("http://www.nlm.nih.gov/research/umls/rxnorm", "7980", "Penicillin G"),
        "patient": {"reference": "Patient/p1"},
        "reaction": [{"manifestation": [_concept(SNOMED, "247472004", "Hives")]}],
    },
    "Procedure": {
        "resourceType": "Procedure",
        "status": "completed",
        "code": _concept(SNOMED, "80146002", "Appendectomy"),
        "subject": {"reference": "Patient/p2"},
        "encounter": {"reference": "Encounter/e1"},
        "performedPeriod": {"start": "2020-03-01T08:00:00Z", "end": "2020-03-01T09:30:00Z"},
        "performer": [{"actor": {"reference": "Practitioner/pr1"}}],
    },
    "DiagnosticReport": {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "code": _concept(LOINC, "58410-2", "CBC panel"),
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "effectiveDateTime": "2021-01-04",
        "issued": "2021-01-04T12:00:00.000Z",
        "result": [{"reference": "Observation/o1"}],
        "conclusion": "Normal.",
    },
    "MedicationRequest": {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": _concept(
            "http://www.nlm.nih.gov/research/umls/rxnorm", "860975", "Metformin 500 MG"
        ),
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e2"},
        "authoredOn": "2021-01-05",
        "dosageInstruction": [
            {
                "text": "500 mg twice a day",
                "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": 500,
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
    },
    "Immunization": {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": _concept(CVX, "140", "Influenza, seasonal"),
        "patient": {"reference": "Patient/p2"},
        "occurrenceDateTime": "2021-10-12",
        "primarySource": True,
        "lotNumber": "AAJN11K",
        "doseQuantity": {"value": 0.5, "unit": "mL"},
    },
    "Claim": {
        "resourceType": "Claim",
        "identifier": [{"system": "http://example.org/claims", "value": "CL-9"}],
        "status": "active",
        "type": _concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
        "use": "claim",
        "patient": {"reference": "Patient/p1"},
        "created": "2021-01-06",
        "provider": {"reference": "Organization/org1"},
        "priority": _concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov1"}}],
        "item": [
            {
                "sequence": 1,
                "productOrService": _concept("http://example.org/services", "consult"),
                "encounter": [{"reference": "Encounter/e1"}],
            }
        ],
        "total": {"value": 135.5, "currency": "USD"},
    },
}
# A change each type accepts, for the update.
CHANGES: dict[str, Json] = {
    "Organization": {"active": False},
    "Practitioner": {"active": False},
    "Condition": {"clinicalStatus": _concept(CLINICAL, "resolved"), "abatementString": "2021"},
    "AllergyIntolerance": {"criticality": "low"},
    "Procedure": {"status": "entered-in-error"},
    "DiagnosticReport": {"status": "amended"},
    "MedicationRequest": {"status": "stopped"},
    "Immunization": {"status": "entered-in-error"},
    "Claim": {"status": "cancelled"},
}


def comparable(resource: Json) -> Json:
    """The resource without what the server owns: id, meta.versionId, meta.lastUpdated."""
    result = {k: v for k, v in resource.items() if k != "id"}
    meta = {
        k: v for k, v in result.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        result["meta"] = meta
    return result


@pytest_asyncio.fixture(loop_scope="module")
async def api() -> AsyncIterator[AsyncClient]:
    async with api_client(make_settings()) as client:
        yield client


# --- Instance interactions ----------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", sorted(RESOURCES))
async def test_every_interaction_keeps_the_resource_exactly(
    api: AsyncClient, resource_type: str
) -> None:
    resource = RESOURCES[resource_type]
    created = await api.post(f"/{resource_type}", json=resource)
    assert created.status_code == 201, created.text
    first = created.json()
    assert comparable(first) == resource
    url = f"/{resource_type}/{first['id']}"
    assert created.headers["Location"] == f"{BASE}{url}/_history/1"
    assert (await api.get(url)).json() == first

    changed = {**resource, **CHANGES[resource_type], "id": first["id"]}
    updated = await api.put(url, json=changed, headers={"If-Match": 'W/"1"'})
    assert updated.status_code == 200, updated.text
    second = updated.json()
    assert (second["meta"]["versionId"], comparable(second)) == ("2", comparable(changed))
    assert (await api.get(url)).json() == second
    assert (await api.get(f"{url}/_history/1")).json() == first

    assert (await api.delete(url)).status_code == 204
    assert (await api.get(url)).status_code == 410
    history = (await api.get(f"{url}/_history")).json()
    assert [e["response"]["status"] for e in history["entry"]] == [
        "204 No Content", "200 OK", "201 Created",
    ]  # fmt: skip
    assert [e.get("resource") for e in history["entry"]] == [None, second, first]


async def test_update_as_create_and_read_of_an_unknown_id(api: AsyncClient) -> None:
    organization = {**RESOURCES["Organization"], "id": "org-upsert"}
    created = await api.put("/Organization/org-upsert", json=organization)
    assert created.status_code == 201, created.text
    assert comparable(created.json()) == RESOURCES["Organization"]
    missing = await api.get("/Organization/nobody")
    assert missing.status_code == 404
    assert missing.json() == outcome(
        issue("not-found", "`Organization/nobody` is not known.", details="MSG_NO_EXIST")
    )


async def test_the_first_write_declares_the_collections_indexes() -> None:
    client = api_client(make_settings())
    async with client as api:
        await api.post("/Condition", json=RESOURCES["Condition"])
        services = client.app.state.services
        indexes = await services.store("Condition").collection.index_information()
    assert services.store("Condition").collection.name == "generic_Condition"
    declared = [tuple((key, 1) for key in keys) for keys in index_keys("generic_Condition")]
    assert sorted(tuple(i["key"]) for i in indexes.values()) == sorted([(("_id", 1),), *declared])
    # the patient search of gateway.search.common_searches, alone or leading a compound
    assert any(keys[0] == ("index.patient", 1) for keys in declared)


# --- Validation and unknown types ---------------------------------------------------------------


async def test_an_invalid_resource_is_400_naming_the_element(api: AsyncClient) -> None:
    response = await api.post("/Organization", json={**RESOURCES["Organization"], "active": "yes"})
    assert response.status_code == 400
    assert response.json() == outcome(
        issue("invalid", "Expected a JSON boolean.", expression="Organization.active")
    )


async def test_a_missing_required_element_is_400(api: AsyncClient) -> None:
    immunization = {k: v for k, v in RESOURCES["Immunization"].items() if k != "patient"}
    response = await api.post("/Immunization", json=immunization)
    assert response.status_code == 400
    issues = response.json()["issue"]
    assert [(i["code"], i["expression"]) for i in issues] == [
        ("required", ["Immunization.patient"])
    ]


@pytest.mark.parametrize(
    ("resource_type", "element", "code", "value_set"),
    [
        ("AllergyIntolerance", "criticality", "extreme", "allergy-intolerance-criticality"),
        ("Immunization", "status", "given", "immunization-status"),
    ],
)
async def test_a_code_outside_a_required_binding_is_400(
    api: AsyncClient, resource_type: str, element: str, code: str, value_set: str
) -> None:
    response = await api.post(f"/{resource_type}", json={**RESOURCES[resource_type], element: code})
    assert response.status_code == 400
    assert response.json() == outcome(
        issue(
            "code-invalid",
            f"`{code}` is not in the required value set http://hl7.org/fhir/ValueSet/{value_set}.",
            expression=f"{resource_type}.{element}",
            details="MSG_CODE_INVALID",
        )
    )


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/Spaceship/1", id="not-fhir"),
        pytest.param("/MedicinalProduct/1", id="r4-but-not-validated-by-fhir.resources"),
        pytest.param("/SubscriptionStatus/1", id="r4b-only"),
        pytest.param("/Evidence/1", id="r4-and-r4b-contradict-each-other"),
        pytest.param("/Resource/1", id="abstract"),
        pytest.param("/Spaceship", id="search"),
    ],
)
async def test_a_type_not_kept_here_is_404(api: AsyncClient, path: str) -> None:
    response = await api.get(path)
    resource_type = path.split("/")[1]
    assert response.status_code == 404
    assert response.json() == outcome(
        issue(
            "not-found",
            f"Resource type `{resource_type}` is not supported by this server.",
            details="MSG_UNKNOWN_TYPE",
        )
    )


# --- Search -------------------------------------------------------------------------------------


def _with(resource_type: str, resource_id: str, *, drop: str = "", **elements: Any) -> Json:
    resource = {**RESOURCES[resource_type], "id": resource_id, **elements}
    return {k: v for k, v in resource.items() if k != drop}


# PUT with chosen ids, so every search below answers a list of ids named by hand.
POPULATION: list[Json] = [
    {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:mrn", "value": "1"}]},
    {"resourceType": "Patient", "id": "p2", "identifier": [{"system": "urn:mrn", "value": "2"}]},
    {"resourceType": "Encounter", "id": "e1", "status": "finished",
     "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
     "subject": {"reference": "Patient/p1"}, "serviceProvider": {"reference": "Organization/org1"}},
    {"resourceType": "Encounter", "id": "e2", "status": "finished",
     "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
     "subject": {"reference": "Patient/p2"}, "serviceProvider": {"reference": "Organization/org2"}},
    {"resourceType": "Observation", "id": "o1", "status": "final", "code": _concept(LOINC, "718-7"),
     "subject": {"reference": "Patient/p1"}, "performer": [{"reference": "Practitioner/pr1"}]},
    _with("Organization", "org1"),
    _with("Organization", "org2", identifier=[{"system": ORG_IDS, "value": "ORG-2"}]),
    _with("Practitioner", "pr1"),
    _with("Condition", "c1"),
    _with("Condition", "c2", identifier=[{"system": "http://example.org/conditions", "value": "C-2"}],
          subject={"reference": "Patient/p2"}, encounter={"reference": "Encounter/e2"}),
    _with("Condition", "c3", subject={"reference": "Group/g1"}, drop="encounter"),
    _with("AllergyIntolerance", "a1"),
    _with("Immunization", "i2"),
    _with("DiagnosticReport", "d1"),
    _with("Procedure", "pr-2"),
    _with("MedicationRequest", "mr1"),
    _with("Claim", "cl1"),
]  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def population() -> AsyncIterator[AsyncClient]:
    async with populated_client(POPULATION) as client:
        yield client


def _ids(bundle: Json, mode: str = "match") -> list[str]:
    return sorted(
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e["search"]["mode"] == mode
    )


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        pytest.param("Organization", "_id=org2", ["org2"], id="id"),
        pytest.param("Condition", "_id=c1,c3", ["c1", "c3"], id="id-or"),
        pytest.param("Condition", "_lastUpdated=gt2020-01-01", ["c1", "c2", "c3"], id="last-updated"),
        pytest.param("Condition", "_lastUpdated=lt2020-01-01", [], id="last-updated-before"),
        pytest.param("Organization", f"identifier={ORG_IDS}|ORG-1", ["org1"], id="identifier"),
        pytest.param("Organization", "identifier=ORG-2", ["org2"], id="identifier-any-system"),
        pytest.param("Organization", "identifier=urn:other|ORG-1", [], id="identifier-other-system"),
        pytest.param("Practitioner", f"identifier={NPI}|", ["pr1"], id="identifier-system-only"),
        pytest.param("Organization", "_tag=http://example.org/tags|network", ["org1", "org2"],
                     id="tag"),
        pytest.param("Condition", "patient=p1", ["c1"], id="patient-reads-condition-subject"),
        pytest.param("Condition", "patient=Patient/p2", ["c2"], id="patient-type-and-id"),
        pytest.param("Condition", f"patient={BASE}/Patient/p1", ["c1"], id="patient-our-url"),
        pytest.param("Condition", "patient=g1", [], id="patient-is-not-a-group"),
        pytest.param("Condition", "subject=Group/g1", ["c3"], id="subject-group"),
        pytest.param("Condition", "subject:Patient=p1,p2", ["c1", "c2"], id="subject-typed"),
        pytest.param("Condition", "encounter=e2", ["c2"], id="encounter"),
        pytest.param("Condition", "encounter:missing=true", ["c3"], id="encounter-missing"),
        pytest.param("AllergyIntolerance", "patient=p1", ["a1"], id="allergy-patient"),
        pytest.param("Immunization", "patient=p2", ["i2"], id="immunization-patient"),
        pytest.param("Immunization", "patient=p1", [], id="immunization-other-patient"),
        pytest.param("DiagnosticReport", "patient=p1&encounter=Encounter/e1", ["d1"],
                     id="report-patient-and-encounter"),
        pytest.param("DiagnosticReport", "subject=Patient/p1", ["d1"], id="report-subject"),
        pytest.param("Procedure", "patient=p2&encounter=e1", ["pr-2"], id="procedure"),
        pytest.param("MedicationRequest", "encounter=e2&subject=p1", ["mr1"], id="med-request"),
        pytest.param("Claim", "patient=p1", ["cl1"], id="claim-patient"),
        pytest.param("Condition", "patient.identifier=urn:mrn|2", ["c2"], id="chain-to-patient"),
        pytest.param("Encounter", f"service-provider.identifier={ORG_IDS}|ORG-2", ["e2"],
                     id="chain-to-an-organization"),
        pytest.param("Patient", "_has:Condition:patient:identifier=C-2", ["p2"],
                     id="reverse-chain-from-a-condition"),
    ],
)  # fmt: skip
async def test_search_finds_the_matching_ids(
    population: AsyncClient, path: str, query: str, expected: list[str]
) -> None:
    response = await population.get(f"/{path}?{query}")
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert (bundle["total"], _ids(bundle)) == (len(expected), [f"{path}/{i}" for i in expected])


async def test_an_unknown_parameter_is_ignored_with_a_warning(population: AsyncClient) -> None:
    bundle = (await population.get("/Organization?name=Harbour&colour=blue")).json()
    assert _ids(bundle) == ["Organization/org1", "Organization/org2"]  # both named Harbour Clinic
    (reported,) = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert [(i["severity"], i["code"]) for i in reported["issue"]] == [("warning", "not-supported")]
    assert "`colour`" in reported["issue"][0]["diagnostics"]


async def test_a_chain_to_a_parameter_the_type_lacks_is_400(population: AsyncClient) -> None:
    response = await population.get("/Encounter?service-provider.colour=blue")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["service-provider.colour"]


@pytest.mark.parametrize(
    ("path", "query", "matched", "included"),
    [
        pytest.param("Observation", "_id=o1&_include=Observation:performer", ["Observation/o1"],
                     ["Practitioner/pr1"], id="observation-performer"),
        pytest.param("Encounter", "_id=e1&_include=Encounter:service-provider", ["Encounter/e1"],
                     ["Organization/org1"], id="encounter-service-provider"),
        pytest.param("Condition", "_id=c2&_include=Condition:patient&_include=Condition:encounter",
                     ["Condition/c2"], ["Encounter/e2", "Patient/p2"], id="from-a-generic-type"),
        pytest.param("Patient", "_id=p1&_revinclude=Condition:patient"
                     "&_revinclude=AllergyIntolerance:patient", ["Patient/p1"],
                     ["AllergyIntolerance/a1", "Condition/c1"], id="revinclude-generic-types"),
        pytest.param("Encounter", "_id=e1&_revinclude=Procedure:encounter", ["Encounter/e1"],
                     ["Procedure/pr-2"], id="revinclude-by-encounter"),
    ],
)  # fmt: skip
async def test_includes_reach_the_types_kept_whole(
    population: AsyncClient, path: str, query: str, matched: list[str], included: list[str]
) -> None:
    bundle = (await population.get(f"/{path}?{query}")).json()
    assert (_ids(bundle), _ids(bundle, "include")) == (matched, included)


# --- CapabilityStatement ------------------------------------------------------------------------

INTERACTIONS = [
    "read", "vread", "update", "delete", "history-instance", "history-type", "create",
    "search-type",
]  # fmt: skip
READ_ONLY_INTERACTIONS = ["read", "vread", "history-instance", "history-type", "search-type"]
RESOURCE_LEVEL = ["_id", "_lastUpdated", "_profile", "_security", "_source", "_tag"]


async def test_the_capability_statement_lists_every_kept_type(api: AsyncClient) -> None:
    statement = (await api.get("/metadata")).json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert list(resources) == kept_types()
    assert len(resources) == 127  # R4 has 146 concrete types; R4B dropped 18 and broke Evidence
    assert "MedicinalProduct" not in resources
    for resource_type, entry in resources.items():
        # published from fhir_profiles/, or recorded by the gateway alone (the audit trail)
        read_only = resource_type in CONFORMANCE_TYPES or resource_type == "AuditEvent"
        expected = READ_ONLY_INTERACTIONS if read_only else INTERACTIONS
        assert [i["code"] for i in entry["interaction"]] == expected
        assert [p["name"] for p in entry["searchParam"]] == sorted(parameters_of(resource_type))


async def test_the_capability_statement_says_what_organization_and_condition_support(
    api: AsyncClient,
) -> None:
    statement = (await api.get("/metadata")).json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    organization = resources["Organization"]
    assert organization["profile"] == "http://hl7.org/fhir/StructureDefinition/Organization"
    (identifier,) = [p for p in organization["searchParam"] if p["name"] == "identifier"]
    assert identifier == {
        "name": "identifier",
        "definition": "http://hl7.org/fhir/SearchParameter/Organization-identifier",
        "type": "token",
    }
    assert [p["name"] for p in organization["searchParam"]][: len(RESOURCE_LEVEL)] == RESOURCE_LEVEL
    assert {"identifier", "name", "address-city", "type", "partof"} <= {
        p["name"] for p in organization["searchParam"]
    }
    assert organization["searchInclude"] == ["*", "Organization:endpoint", "Organization:partof"]
    assert "Encounter:service-provider" in organization["searchRevInclude"]
    condition = resources["Condition"]
    assert ("clinical-status", "token") in [
        (p["name"], p["type"]) for p in condition["searchParam"]
    ]
    assert ("onset-date", "date") in [(p["name"], p["type"]) for p in condition["searchParam"]]
    assert condition["searchInclude"] == [
        "*", "Condition:asserter", "Condition:encounter", "Condition:evidence-detail",
        "Condition:patient", "Condition:subject",
    ]  # fmt: skip
    assert "`_text`: full-text search is not offered" in condition["documentation"]
    assert "- `near`: special parameters" in resources["Location"]["documentation"]
    assert "Condition:patient" in resources["Patient"]["searchRevInclude"]
