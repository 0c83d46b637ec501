"""gateway.services.apps.export and gather: a patient's FHIR back in the app's shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from gateway.domain.time import utc_now
from gateway.errors import NotFound, UnprocessableResource
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.apps.export import MergedRecords, all_records, records_of
from gateway.services.apps.gather import find_patient, patient_resources
from gateway.services.apps.ingest import store_records
from gateway.services.context import Services, open_services
from mappers.apps.base import Identity
from tests.conftest import make_settings

pytestmark = pytest.mark.usefixtures("toy_app")

RECORDS = {
    "clinics": [{"id": 7, "name": "Lakeside"}],
    "people": [{"id": "p1", "name": "Ann", "sex": "F", "clinic_id": 7}, {"id": "p,2|x", "name": "Bo"}],
    "visits": [{"id": 1, "person_id": "p1", "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": 72}],
}  # fmt: skip
ANN = {"people": [{"id": "p1", "name": "Ann", "sex": "F", "clinic_id": 7}],
       "visits": [{"id": 1, "person_id": "p1", "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": 72}]}  # fmt: skip
P1 = Identity("toy", "people", "p1").resource_id()


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    opened = await open_services(make_settings())
    await store_records(opened, "toy", RECORDS, max_entries=None)
    yield opened
    opened.close()


async def put(services: Services, *found: Json) -> None:
    for resource in found:
        await resources.update(services.store(resource["resourceType"]), resource["id"], resource)


async def test_a_patient_comes_back_as_its_rows_by_native_or_fhir_id(services: Services) -> None:
    assert await records_of(services, "toy", patient="p1") == ANN
    assert await records_of(services, "toy", patient=P1) == ANN
    bo = await records_of(services, "toy", patient="p,2|x")  # search's reserved characters
    assert bo == {"people": [{"id": "p,2|x", "name": "Bo"}]}


async def test_an_unknown_patient_is_a_404_naming_it(services: Services) -> None:
    with pytest.raises(NotFound) as raised:
        await records_of(services, "toy", patient="p9")
    assert raised.value.diagnostics == (
        "No Patient has identifier `http://fhir-gateway.org/fhir/sid/toy/people|p9` or id `p9`."
    )


async def test_entities_narrow_the_answer_and_an_unknown_one_is_a_422(services: Services) -> None:
    assert await records_of(services, "toy", patient="p1", entities=["visits"]) == {"visits": ANN["visits"]}  # fmt: skip
    with pytest.raises(UnprocessableResource) as raised:
        await records_of(services, "toy", patient="p1", entities=["visits", "nurses"])
    assert raised.value.issues[0].expression == "entity"
    assert "`nurses` is not an entity of Toy Clinic" in raised.value.diagnostics


async def test_since_keeps_rows_built_from_resources_written_at_or_after_it(
    services: Services,
) -> None:
    before: datetime = utc_now() - timedelta(minutes=1)
    assert await records_of(services, "toy", patient="p1", since=before) == ANN
    later = utc_now() + timedelta(seconds=1)
    assert await records_of(services, "toy", patient="p1", since=later) == {}
    await store_records(services, "toy", {"people": [RECORDS["people"][0] | {"name": "Anna"}]}, max_entries=None)  # fmt: skip
    current = await services.store("Patient").current(P1)
    assert current is not None
    changed = current.last_updated  # the new version's; the visit's are older
    assert await records_of(services, "toy", patient="p1", since=changed) == {"people": [ANN["people"][0] | {"name": "Anna"}]}  # fmt: skip


async def test_the_record_holds_linked_patients_and_what_it_references_two_hops_away(
    services: Services,
) -> None:
    org = {
        "resourceType": "Organization",
        "id": "org-a",
        "partOf": {"reference": "Organization/org-b"},
    }
    await put(
        services,
        {"resourceType": "Organization", "id": "org-c"},
        {"resourceType": "Organization", "id": "org-b", "partOf": {"reference": "Organization/org-c"}},
        org,
        {"resourceType": "Patient", "id": "ehr-2", "link": [{"other": {"reference": f"Patient/{P1}"}, "type": "seealso"}]},
        {"resourceType": "Patient", "id": "ehr-3"},
        {"resourceType": "Patient", "id": "other"},
        {"resourceType": "Encounter", "id": "ehr-visit", "status": "finished", "class": {"code": "AMB"},
         "subject": {"reference": "Patient/ehr-3"}, "serviceProvider": {"reference": "Organization/org-a"}},
        {"resourceType": "Encounter", "id": "not-hers", "status": "finished", "class": {"code": "AMB"},
         "subject": {"reference": "Patient/other"}},
    )  # fmt: skip
    ann = await find_patient(
        services, system="http://fhir-gateway.org/fhir/sid/toy/people", patient="p1"
    )
    ann = {**ann, "link": [{"other": {"reference": "Patient/ehr-3"}, "type": "seealso"}]}
    await put(services, ann)
    gathered = {f"{r['resourceType']}/{r['id']}" for r in await patient_resources(services, ann)}
    visit = Identity("toy", "visits", "1")
    assert gathered == {
        f"Patient/{P1}", "Patient/ehr-2", "Patient/ehr-3",
        f"Encounter/{visit.resource_id()}", f"Observation/{visit.resource_id('heartRate')}",
        "Encounter/ehr-visit",
        f"Organization/{Identity('toy', 'clinics', '7').resource_id()}",  # one hop
        "Organization/org-a", "Organization/org-b",  # two hops; org-c is a third
    }  # fmt: skip


async def test_the_record_holds_the_patients_devices_though_r4s_compartment_does_not(
    services: Services,
) -> None:
    """Device is in its own compartment in R4; a wearable whose `patient` is hers is hers."""
    await put(
        services,
        {"resourceType": "Device", "id": "her-ring", "patient": {"reference": f"Patient/{P1}"}},
        {"resourceType": "Device", "id": "not-hers", "patient": {"reference": "Patient/other"}},
        {"resourceType": "Patient", "id": "other"},
    )
    ann = await find_patient(
        services, system="http://fhir-gateway.org/fhir/sid/toy/people", patient="p1"
    )
    gathered = {f"{r['resourceType']}/{r['id']}" for r in await patient_resources(services, ann)}
    assert "Device/her-ring" in gathered
    assert "Device/not-hers" not in gathered


async def test_the_record_holds_the_roles_of_its_practitioners(services: Services) -> None:
    """A provider's specialty is on its PractitionerRole, which nothing in the record names."""
    await put(
        services,
        {"resourceType": "Practitioner", "id": "doc"},
        {"resourceType": "PractitionerRole", "id": "doc-role", "practitioner": {"reference": "Practitioner/doc"}},
        {"resourceType": "PractitionerRole", "id": "someone-else", "practitioner": {"reference": "Practitioner/other"}},
    )  # fmt: skip
    ann = await find_patient(
        services, system="http://fhir-gateway.org/fhir/sid/toy/people", patient="p1"
    )
    ann = {**ann, "generalPractitioner": [{"reference": "Practitioner/doc"}]}
    await put(services, ann)
    gathered = {f"{r['resourceType']}/{r['id']}" for r in await patient_resources(services, ann)}
    assert {"Practitioner/doc", "PractitionerRole/doc-role"} <= gathered
    assert "PractitionerRole/someone-else" not in gathered


async def test_every_patient_with_rows_is_exported_once_merged(services: Services) -> None:
    merged = MergedRecords()
    async for rows in all_records(services, "toy"):
        merged.add(rows)
        merged.add(rows)  # twice: a row shared by two patients is kept once
    assert merged.records == {"people": [ANN["people"][0], {"id": "p,2|x", "name": "Bo"}], "visits": ANN["visits"]}  # fmt: skip
