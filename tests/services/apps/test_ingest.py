"""gateway.services.apps.ingest: an app's rows stored as one FHIR transaction (the toy app)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import GatewayError, PayloadTooLarge, UnprocessableResource
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.apps.ingest import store_records
from gateway.services.context import Services, open_services
from gateway.store.repository import ResourceStore
from mappers.apps.base import AppAdapter, Identity
from tests.conftest import make_settings

pytestmark = pytest.mark.usefixtures("toy_app")

CLINIC = {"id": 7, "name": "Lakeside"}
PERSON = {"id": "p1", "name": "Ann", "sex": "F", "clinic_id": 7, "password_hash": "$2b$..."}
VISIT = {"id": 1, "person_id": "p1", "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": 72}
RECORDS = {
    "clinics": [CLINIC],
    "people": [PERSON],
    "visits": [VISIT],
    "recipes": [{"api_key": "k"}],
}


def rid(entity: str, native_id: str, part: str = "") -> str:
    return Identity("toy", entity, native_id).resource_id(part)


async def versions(services: Services, resource_type: str, resource_id: str) -> int:
    current = await services.store(resource_type).current(resource_id)
    return 0 if current is None else current.version_id


async def test_the_answer_counts_types_rows_skips_and_drops(services: Services) -> None:
    answer = await store_records(services, "toy", RECORDS, max_entries=None)
    one = {"created": 1, "updated": 0, "unchanged": 0, "deleted": 0}
    assert answer == {
        "app": "toy",
        "resources": {
            "Organization": {**one, "ids": [rid("clinics", "7")]},
            "Patient": {**one, "ids": [rid("people", "p1")]},
            "Encounter": {**one, "ids": [rid("visits", "1")]},
            "Observation": {**one, "ids": [rid("visits", "1", "heartRate")]},
        },
        "rows": {
            "clinics": {"7": [f"Organization/{rid('clinics', '7')}"]},
            "people": {"p1": [f"Patient/{rid('people', 'p1')}"]},
            "visits": {"1": [f"Encounter/{rid('visits', '1')}", f"Observation/{rid('visits', '1', 'heartRate')}"]},
        },
        "skipped": [{"entity": "recipes", "rows": 1, "reason": "a recipe is not a health record."}],
        "dropped": [
            {"entity": "people", "field": "password_hash", "rows": 1},
            {"entity": "recipes", "field": "api_key", "rows": 1},
        ],
    }  # fmt: skip
    patient = await services.store("Patient").current(rid("people", "p1"))
    assert patient is not None
    assert "$2b$" not in str(patient.resource)


async def test_a_resend_is_unchanged_and_stores_no_version(services: Services) -> None:
    await store_records(services, "toy", RECORDS, max_entries=None)
    again = await store_records(services, "toy", RECORDS, max_entries=None)
    assert {t: (c["created"], c["updated"], c["unchanged"]) for t, c in again["resources"].items()} == {
        "Organization": (0, 0, 1), "Patient": (0, 0, 1), "Encounter": (0, 0, 1), "Observation": (0, 0, 1)
    }  # fmt: skip
    assert await versions(services, "Patient", rid("people", "p1")) == 1
    changed = await store_records(services, "toy", {"people": [PERSON | {"name": "Anna"}]}, max_entries=None)  # fmt: skip
    assert changed["resources"]["Patient"]["updated"] == 1
    assert await versions(services, "Patient", rid("people", "p1")) == 2


async def test_rows_arrive_in_several_requests_and_foreign_keys_find_stored_rows(
    services: Services,
) -> None:
    await store_records(services, "toy", {"clinics": [CLINIC]}, max_entries=None)
    await store_records(services, "toy", {"people": [PERSON]}, max_entries=None)
    answer = await store_records(services, "toy", {"visits": [VISIT]}, max_entries=None)
    assert list(answer["resources"]) == ["Encounter", "Observation"]
    encounter = await services.store("Encounter").current(rid("visits", "1"))
    assert encounter is not None
    assert encounter.resource is not None
    assert encounter.resource["subject"] == {"reference": f"Patient/{rid('people', 'p1')}"}


async def test_a_foreign_key_to_nothing_stores_nothing(services: Services) -> None:
    with pytest.raises(UnprocessableResource) as raised:
        await store_records(services, "toy", {"people": [PERSON], "visits": [VISIT | {"clinic_id": 8}]}, max_entries=None)  # fmt: skip
    assert [i.expression for i in raised.value.issues] == [
        "people[0].clinic_id",
        "visits[0].clinic_id",
    ]
    assert await versions(services, "Patient", rid("people", "p1")) == 0


async def test_a_resource_the_write_checks_refuse_fails_all_and_names_the_row(
    services: Services,
) -> None:
    bad = {"clinics": [CLINIC, {"id": 8, "name": ""}], "people": [PERSON]}
    with pytest.raises(GatewayError) as raised:
        await store_records(services, "toy", bad, max_entries=None)
    assert raised.value.status == 422  # a row FHIR cannot carry: unprocessable, like any bad row
    [issue] = raised.value.issues
    assert issue.expression == "clinics[1]"
    assert issue.diagnostics == (
        f"toy clinics[1] made `Organization/{rid('clinics', '8')}`, which the FHIR write checks "
        "refuse at `Organization.name`: Strings must not be empty or only whitespace."
    )
    assert await versions(services, "Organization", rid("clinics", "7")) == 0
    assert await versions(services, "Patient", rid("people", "p1")) == 0


async def test_more_resources_than_the_limit_is_a_413_naming_it(services: Services) -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        await store_records(services, "toy", RECORDS, max_entries=3)
    assert "make 4 resources; the limit of one request is 3" in raised.value.diagnostics
    answer = await store_records(services, "toy", RECORDS, max_entries=4)
    assert len(answer["resources"]) == 4


async def test_more_resources_than_a_bundle_may_hold_pass_without_a_limit() -> None:
    """The command line has no entry limit: the transaction is not held to the Bundle's."""
    services = await open_services(make_settings(max_bundle_entries=2))
    answer = await store_records(services, "toy", RECORDS, max_entries=None)
    assert sum(c["created"] for c in answer["resources"].values()) == 4
    services.close()


async def test_an_unknown_app_is_a_422_listing_the_apps(
    services: Services, toy_app: AppAdapter
) -> None:
    with pytest.raises(UnprocessableResource) as raised:
        await store_records(services, "nope", RECORDS, max_entries=None)
    assert raised.value.issues[0].expression == "app"
    assert raised.value.diagnostics.startswith("`nope` is not an app of this gateway; the apps are `medical-twin`, ")  # fmt: skip


async def test_only_skipped_rows_store_nothing_and_say_why(services: Services) -> None:
    answer: Json = await store_records(services, "toy", {"recipes": [{}, {}]}, max_entries=None)
    assert (answer["resources"], answer["rows"]) == ({}, {})
    assert answer["skipped"] == [{"entity": "recipes", "rows": 2, "reason": "a recipe is not a health record."}]  # fmt: skip


# --- a re-sent row replaces what it made (gateway.services.apps.stale) ---------------------

VISIT_WITHOUT_HEART_RATE = {k: v for k, v in VISIT.items() if k != "heart_rate"}
HEART_RATE = rid("visits", "1", "heartRate")


async def deleted(services: Services, resource_type: str, resource_id: str) -> bool:
    """Whether the resource's latest version is a deletion (and none is current)."""
    store = services.store(resource_type)
    latest = await store.latest_archived(resource_id)
    return await store.current(resource_id) is None and latest is not None and latest.deleted


async def test_a_row_resent_making_less_deletes_the_rest_and_counts_it(services: Services) -> None:
    await store_records(services, "toy", RECORDS, max_entries=None)
    answer = await store_records(services, "toy", {"visits": [VISIT_WITHOUT_HEART_RATE]}, max_entries=None)  # fmt: skip
    assert answer["resources"] == {
        "Encounter": {"created": 0, "updated": 0, "unchanged": 1, "deleted": 0, "ids": [rid("visits", "1")]},
        "Observation": {"created": 0, "updated": 0, "unchanged": 0, "deleted": 1, "ids": []},
    }  # fmt: skip
    assert answer["rows"] == {"visits": {"1": [f"Encounter/{rid('visits', '1')}"]}}
    assert await deleted(services, "Observation", HEART_RATE)
    again = await store_records(services, "toy", {"visits": [VISIT_WITHOUT_HEART_RATE]}, max_entries=None)  # fmt: skip
    assert list(again["resources"]) == ["Encounter"]  # deleted once: nothing carries it now
    back = await store_records(services, "toy", {"visits": [VISIT]}, max_entries=None)
    assert back["resources"]["Observation"]["created"] == 1  # and it may come back


async def test_plain_fhir_carrying_a_rows_identifier_is_the_rows(services: Services) -> None:
    """Someone wrote a resource with the row's identifier: the identifier says whose it is."""
    await store_records(services, "toy", RECORDS, max_entries=None)
    flag = {"resourceType": "Flag", "id": "ehr-flag", "status": "active", "code": {"text": "x"},
            "subject": {"reference": f"Patient/{rid('people', 'p1')}"},
            "identifier": [{"system": "urn:other", "value": "1"},
                           Identity("toy", "visits", "1").identifier()]}  # fmt: skip
    other = {**flag, "id": "ehr-flag-2", "identifier": [{"system": "urn:other", "value": "1"},
             Identity("toy", "visits", "2").identifier(), Identity("toy", "clinics", "1").identifier()]}  # fmt: skip
    for resource in (flag, other):
        await resources.update(services.store("Flag"), resource["id"], resource)
    answer = await store_records(services, "toy", {"visits": [VISIT]}, max_entries=None)
    assert answer["resources"]["Flag"] == {"created": 0, "updated": 0, "unchanged": 0, "deleted": 1, "ids": []}  # fmt: skip
    assert await deleted(services, "Flag", "ehr-flag")
    # ehr-flag-2 carries another row's identifier and another entity's: not this request's
    assert await versions(services, "Flag", "ehr-flag-2") == 1


async def test_a_resource_the_request_writes_for_another_row_stays(services: Services) -> None:
    """A resource carrying a row's identifier that another row of the request makes is written,
    not deleted (a transaction may not do both to one resource)."""
    await store_records(services, "toy", RECORDS, max_entries=None)
    clinic = {"resourceType": "Organization", "id": rid("clinics", "7"), "name": "Lakeside",
              "identifier": [Identity("toy", "clinics", "7").identifier(),
                             Identity("toy", "people", "p1").identifier()]}  # fmt: skip
    await resources.update(services.store("Organization"), clinic["id"], clinic)
    answer = await store_records(services, "toy", {"people": [PERSON], "clinics": [CLINIC]}, max_entries=None)  # fmt: skip
    assert answer["resources"]["Organization"]["updated"] == 1
    assert answer["resources"]["Organization"]["deleted"] == 0
    assert await versions(services, "Organization", rid("clinics", "7")) == 3


async def test_a_failing_request_deletes_nothing(services: Services) -> None:
    """The deletions run first in the transaction (http.html#trules); a later refusal undoes them."""
    await store_records(services, "toy", RECORDS, max_entries=None)
    refused = {"visits": [VISIT_WITHOUT_HEART_RATE], "clinics": [{"id": 8, "name": ""}]}
    with pytest.raises(GatewayError) as raised:
        await store_records(services, "toy", refused, max_entries=None)
    assert raised.value.status == 422  # a row FHIR cannot carry: unprocessable, like any bad row
    assert await versions(services, "Observation", HEART_RATE) == 1
    assert await services.store("Observation").latest_archived(HEART_RATE) is None
    with pytest.raises(UnprocessableResource):  # refused before anything is asked or written
        await store_records(services, "toy", {"visits": [VISIT_WITHOUT_HEART_RATE | {"person_id": "p9"}]}, max_entries=None)  # fmt: skip
    assert await versions(services, "Observation", HEART_RATE) == 1


async def test_deletions_cost_one_query_per_type_held(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many rows and entities: each type the store holds is asked once, the others
    not at all."""
    await store_records(services, "toy", RECORDS, max_entries=None)
    asked: list[str] = []
    ids = ResourceStore.ids

    async def counted(store: ResourceStore, *args: Any, **kwargs: Any) -> list[str]:
        asked.append(store.resource_type)
        return await ids(store, *args, **kwargs)

    monkeypatch.setattr(ResourceStore, "ids", counted)
    many = {"people": [PERSON | {"id": f"p{i}"} for i in range(50)],
            "visits": [VISIT | {"id": i} for i in range(50)], "clinics": [CLINIC]}  # fmt: skip
    await store_records(services, "toy", many, max_entries=None)
    assert sorted(asked) == ["Encounter", "Observation", "Organization", "Patient"]
