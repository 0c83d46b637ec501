"""Search driven by a FHIR client we did not write: fhirpy's AsyncFHIRClient against the app
served by uvicorn on a loopback port.

fhirpy builds its own query strings (`date=ge…`, `patient:Patient.name=…`, `_has:…`, `_count=0`
for counts) and follows `Bundle.link` `next` URLs as given, so these tests check that what we
serve is what a foreign client expects, next links included.
"""

from __future__ import annotations

import datetime
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from fhirpy import AsyncFHIRClient

from gateway.http.app import create_app
from tests.conftest import make_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MRN = "http://clinic.example/mrn"
HEART_RATE = f"{LOINC}|8867-4"
GLUCOSE = f"{LOINC}|2345-7"
PATIENTS = {  # id: (family, given, gender, birthDate)
    "p1": ("Rivera", "Ana", "female", "1974-12-02"),
    "p2": ("Chen", "Wei", "male", "1960-03-15"),
    "p3": ("Rivera", "Luis", "male", "1990-07-30"),
}
HEART_RATES = [f"hr-{day:02d}" for day in range(1, 26)]  # p1, 2026-01-01 .. 2026-01-25


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The app under uvicorn in a background thread, on an empty embedded store."""
    port = free_port()
    config = uvicorn.Config(
        create_app(make_settings()), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/fhir"
    server.should_exit = True
    thread.join(timeout=10)


def observation(
    patient: str, code: str, when: str, value: float, unit: str, ucum: str, category: str
) -> dict[str, Any]:
    system, code_value = code.split("|")
    categories = "http://terminology.hl7.org/CodeSystem/observation-category"
    return {
        "status": "final",
        "category": [{"coding": [{"system": categories, "code": category}]}],
        "code": {"coding": [{"system": system, "code": code_value}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum},
    }


OBSERVATIONS: dict[str, dict[str, Any]] = {
    **{
        id_: observation(
            "p1",
            HEART_RATE,
            f"2026-01-{day:02d}T08:00:00Z",
            60 + day,
            "/min",
            "/min",
            "vital-signs",
        )
        for day, id_ in enumerate(HEART_RATES, 1)
    },
    "glu-1": observation("p1", GLUCOSE, "2026-02-01T09:30:00Z", 92, "mg/dL", "mg/dL", "laboratory"),
    "glu-2": observation(
        "p1", GLUCOSE, "2026-03-01T09:30:00Z", 131, "mg/dL", "mg/dL", "laboratory"
    ),
    "glu-3": observation(
        "p2", GLUCOSE, "2026-02-10T10:00:00Z", 104, "mg/dL", "mg/dL", "laboratory"
    ),
    "wt-1": observation(
        "p3", f"{LOINC}|29463-7", "2026-01-15T07:45:00Z", 182.5, "lb", "[lb_av]", "vital-signs"
    ),
}


ENCOUNTER: dict[str, Any] = {
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "subject": {"reference": "Patient/p1"},
}
MEDICATION_STATEMENT: dict[str, Any] = {
    "status": "active",
    "medicationCodeableConcept": {"text": "Metformin ER 500 mg"},
    "subject": {"reference": "Patient/p1"},
    "context": {"reference": "Encounter/e1"},
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(base_url: str) -> AsyncIterator[AsyncFHIRClient]:
    """A fhirpy client on a server holding PATIENTS and OBSERVATIONS, saved through fhirpy."""
    fhir = AsyncFHIRClient(base_url)
    for id_, (family, given, gender, birth_date) in PATIENTS.items():
        patient = fhir.resource(
            "Patient",
            id=id_,
            identifier=[{"system": MRN, "value": f"MRN-{id_}"}],
            name=[{"family": family, "given": [given]}],
            gender=gender,
            birthDate=birth_date,
        )
        await patient.save()
        assert patient["meta"]["versionId"] == "1"
    for id_, body in OBSERVATIONS.items():
        await fhir.resource("Observation", id=id_, **body).save()
    await fhir.resource("Encounter", id="e1", **ENCOUNTER).save()
    await fhir.resource("MedicationStatement", id="m1", **MEDICATION_STATEMENT).save()
    yield fhir


def ids(resources: list[Any]) -> list[str]:
    return [resource.id for resource in resources]


async def test_reference_and_token_search(client: AsyncFHIRClient) -> None:
    found = await client.resources("Observation").search(patient="Patient/p1", code=GLUCOSE).fetch()
    assert sorted(ids(found)) == ["glu-1", "glu-2"]
    bare_id = await client.resources("Observation").search(patient="p2", code=GLUCOSE).fetch()
    assert ids(bare_id) == ["glu-3"]


async def test_date_prefixes_with_descending_sort(client: AsyncFHIRClient) -> None:
    found = (
        await client.resources("Observation")
        .search(patient="p1", date__ge="2026-01-20", date__lt="2026-01-24")
        .sort("-date")
        .fetch()
    )
    assert ids(found) == ["hr-23", "hr-22", "hr-21", "hr-20"]


async def test_limit_gives_one_page_and_fetch_all_follows_next_links(
    client: AsyncFHIRClient,
) -> None:
    search = (
        client.resources("Observation").search(patient="p1", code=HEART_RATE).sort("date").limit(10)
    )
    assert ids(await search.fetch()) == HEART_RATES[:10]
    assert ids(await search.fetch_all()) == HEART_RATES  # three pages, in order, none twice


async def test_fetch_all_follows_next_links_under_descending_sort(
    client: AsyncFHIRClient,
) -> None:
    search = client.resources("Observation").search(code=HEART_RATE).sort("-date").limit(7)
    assert ids(await search.fetch_all()) == HEART_RATES[::-1]


async def test_count_answers_the_total(client: AsyncFHIRClient) -> None:
    assert await client.resources("Observation").search(patient="p1").count() == 27
    assert await client.resources("Observation").search(code=HEART_RATE).count() == 25
    assert await client.resources("Patient").search(family="rivera").count() == 2


async def test_first_takes_the_head_of_the_sort(client: AsyncFHIRClient) -> None:
    latest = (
        await client.resources("Observation")
        .search(patient="p1", code=HEART_RATE)
        .sort("-date")
        .first()
    )
    assert latest is not None
    assert latest.id == "hr-25"
    assert latest["valueQuantity"]["value"] == 85
    assert await client.resources("Observation").search(patient="nobody").first() is None


async def test_include_adds_each_referenced_patient_once(client: AsyncFHIRClient) -> None:
    bundle = (
        await client.resources("Observation")
        .search(code=GLUCOSE)
        .include("Observation", "patient")
        .fetch_raw()
    )
    modes = sorted(
        (entry["search"]["mode"], f"{entry.resource.resourceType}/{entry.resource.id}")
        for entry in bundle["entry"]
    )
    assert modes == [
        ("include", "Patient/p1"),
        ("include", "Patient/p2"),
        ("match", "Observation/glu-1"),
        ("match", "Observation/glu-2"),
        ("match", "Observation/glu-3"),
    ]
    assert bundle["total"] == 3
    # fetch() keeps the searched type only: the included Patients are not in its list
    fetched = (
        await client.resources("Observation")
        .search(code=GLUCOSE)
        .include("Observation", "patient")
        .fetch()
    )
    assert sorted(ids(fetched)) == ["glu-1", "glu-2", "glu-3"]


async def test_revinclude_adds_the_observations_of_the_patient(client: AsyncFHIRClient) -> None:
    bundle = (
        await client.resources("Patient")
        .search(_id="p3")
        .revinclude("Observation", "patient")
        .fetch_raw()
    )
    modes = [(e["search"]["mode"], e.resource.resourceType, e.resource.id) for e in bundle.entry]
    assert modes == [("match", "Patient", "p3"), ("include", "Observation", "wt-1")]


async def test_include_iterate_follows_included_resources(client: AsyncFHIRClient) -> None:
    bundle = (
        await client.resources("MedicationStatement")
        .include("MedicationStatement", "context")
        .include("Encounter", "subject", iterate=True)  # sent as `_include:iterate=`
        .fetch_raw()
    )
    modes = sorted(
        (e["search"]["mode"], e.resource.resourceType, e.resource.id) for e in bundle.entry
    )
    assert modes == [
        ("include", "Encounter", "e1"),
        ("include", "Patient", "p1"),
        ("match", "MedicationStatement", "m1"),
    ]


async def test_chained_search_through_the_patient(client: AsyncFHIRClient) -> None:
    observations = client.resources("Observation").limit(100)
    rivera = await observations.search(patient__Patient__name="rivera").fetch_all()
    assert sorted(ids(rivera)) == sorted([*HEART_RATES, "glu-1", "glu-2", "wt-1"])
    chen = await observations.search(patient__name="Chen").fetch_all()
    assert ids(chen) == ["glu-3"]
    born_early = await observations.search(patient__Patient__birthdate__lt="1970").fetch_all()
    assert ids(born_early) == ["glu-3"]


async def test_reverse_chain_with_has(client: AsyncFHIRClient) -> None:
    with_glucose = (
        await client.resources("Patient").has("Observation", "patient", code=GLUCOSE).fetch()
    )
    assert sorted(ids(with_glucose)) == ["p1", "p2"]


async def test_quantity_prefixes_with_and_without_units(client: AsyncFHIRClient) -> None:
    glucose = client.resources("Observation").search(code=GLUCOSE)
    assert sorted(ids(await glucose.search(value_quantity__gt=100).fetch())) == ["glu-2", "glu-3"]
    in_mg = await glucose.search(value_quantity__le=f"104|{UCUM}|mg/dL").fetch()
    assert sorted(ids(in_mg)) == ["glu-1", "glu-3"]
    in_mmol = await glucose.search(value_quantity__le=f"104|{UCUM}|mmol/L").fetch()
    assert ids(in_mmol) == []


async def test_string_and_token_modifiers(client: AsyncFHIRClient) -> None:
    patients = client.resources("Patient")
    assert sorted(ids(await patients.search(name__contains="iver").fetch())) == ["p1", "p3"]
    assert ids(await patients.search(family__exact="Chen").fetch()) == ["p2"]
    assert ids(await patients.search(family__exact="chen").fetch()) == []
    assert sorted(ids(await patients.search(gender__not="female").fetch())) == ["p2", "p3"]
    assert ids(await patients.search(birthdate__ge="1990").fetch()) == ["p3"]


async def test_get_by_identifier_and_read_by_reference(client: AsyncFHIRClient) -> None:
    patient = await client.resources("Patient").search(identifier=f"{MRN}|MRN-p2").get()
    assert patient.id == "p2"
    assert patient["name"] == [{"family": "Chen", "given": ["Wei"]}]
    read = await client.reference("Patient", "p1").to_resource()
    assert read["birthDate"] == "1974-12-02"
    assert read["meta"]["versionId"] == "1"


async def test_fetch_all_pages_on_a_numeric_sort(client: AsyncFHIRClient) -> None:
    search = (
        client.resources("Observation").search(code=HEART_RATE).sort("-value-quantity").limit(4)
    )
    assert ids(await search.fetch_all()) == HEART_RATES[::-1]


async def test_dates_as_fhirpy_sends_them(client: AsyncFHIRClient) -> None:
    heart_rates = client.resources("Observation").search(code=HEART_RATE).sort("date")
    since_day = await heart_rates.search(date__ge=datetime.date(2026, 1, 24)).fetch()
    assert ids(since_day) == ["hr-24", "hr-25"]
    at_instant = datetime.datetime(2026, 1, 24, 8, tzinfo=datetime.UTC)
    assert ids(await heart_rates.search(date__ge=at_instant).fetch()) == ["hr-24", "hr-25"]
    assert ids(await heart_rates.search(date__gt=at_instant).fetch()) == ["hr-25"]
    # 09:00 at +01:00 is hr-02's 08:00Z; fhirpy sends the `+` as %2B
    with_offset = await heart_rates.search(date__le="2026-01-02T09:00:00+01:00").fetch()
    assert ids(with_offset) == ["hr-01", "hr-02"]


async def test_elements_keeps_the_asked_and_mandatory_elements(client: AsyncFHIRClient) -> None:
    found = await client.resources("Observation").search(_id="glu-1,glu-3").elements("code").fetch()
    assert sorted(ids(found)) == ["glu-1", "glu-3"]
    for resource in found:
        assert sorted(resource) == ["code", "id", "meta", "resourceType", "status"]
        assert resource["meta"]["tag"][-1]["code"] == "SUBSETTED"
