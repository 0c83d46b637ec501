"""Quantities searched in any unit, through the API: every write path (create, update,
transaction, import) stores the canonical value, the served resource is what was sent, and
searches in another unit find it.

https://hl7.org/fhir/R4/search.html#quantity
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.services.test_importer import run

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
WEIGHT = (
    b'{"resourceType":"Observation","status":"final",'
    b'"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},'
    b'"valueQuantity":{"value":95.0,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}'
)


def temperature(value: str) -> str:
    return (
        '{"resourceType":"Observation","status":"final",'
        '"code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},'
        f'"valueQuantity":{{"value":{value},"unit":"degF","system":"{UCUM}","code":"[degF]"}}}}'
    )


def blood_pressure(systolic: float, diastolic: float, code: str) -> Json:
    def component(loinc: str, value: float) -> Json:
        return {
            "code": {"coding": [{"system": LOINC, "code": loinc}]},
            "valueQuantity": {"value": value, "unit": code, "system": UCUM, "code": code},
        }

    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
    }


async def ids(api: AsyncClient, **params: str) -> set[str]:
    response = await api.get("/Observation", params=params)
    assert response.status_code == 200, response.text
    return {entry["resource"]["id"] for entry in response.json().get("entry", [])}


async def test_weight_in_kg_is_found_in_pounds_and_served_as_sent(api: AsyncClient) -> None:
    created = await api.post("/Observation", content=WEIGHT)
    assert created.status_code == 201, created.text
    resource_id = created.json()["id"]

    read = await api.get(f"/Observation/{resource_id}")

    assert await ids(api, **{"value-quantity": f"gt200|{UCUM}|[lb_av]"}) == {resource_id}
    assert await ids(api, **{"value-quantity": f"gt210|{UCUM}|[lb_av]"}) == set()
    assert b'"valueQuantity":{"value":95.0,"unit":"kg","system"' in read.content
    assert b"canonical" not in read.content


async def test_fahrenheit_is_found_in_celsius_with_its_text_kept(api: AsyncClient) -> None:
    created = await api.post("/Observation", content=temperature("98.60"))
    resource_id = created.json()["id"]

    read = await api.get(f"/Observation/{resource_id}")

    assert await ids(api, **{"value-quantity": f"eq37|{UCUM}|Cel"}) == {resource_id}
    assert await ids(api, **{"value-quantity": f"le37|{UCUM}|Cel"}) == {resource_id}
    assert await ids(api, **{"value-quantity": f"ne37|{UCUM}|Cel"}) == set()
    assert await ids(api, **{"value-quantity": f"ap36|{UCUM}|Cel"}) == {resource_id}
    assert b'"value":98.60,' in read.content


async def test_update_recomputes_the_canonical_value(api: AsyncClient) -> None:
    created = await api.post("/Observation", content=temperature("98.6"))
    resource_id = created.json()["id"]
    changed = json.loads(temperature("104"))  # 40 Cel
    updated = await api.put(f"/Observation/{resource_id}", json={**changed, "id": resource_id})
    assert updated.status_code == 200, updated.text

    assert await ids(api, **{"value-quantity": f"37|{UCUM}|Cel"}) == set()
    assert await ids(api, **{"value-quantity": f"40|{UCUM}|Cel"}) == {resource_id}


async def test_blood_pressure_components_in_mmhg_are_found_in_kpa(api: AsyncClient) -> None:
    """120/80 mm[Hg] is 15.99864/10.66576 kPa; each value with its own component's code."""
    created = await api.post("/Observation", json=blood_pressure(120, 80, "mm[Hg]"))
    resource_id = created.json()["id"]
    systolic, diastolic = f"{LOINC}|8480-6", f"{LOINC}|8462-4"

    found = {
        query: await ids(api, **{"component-code-value-quantity": query})
        for query in (
            f"{systolic}$gt15.9|{UCUM}|kPa",
            f"{diastolic}$gt15.9|{UCUM}|kPa",
            f"{diastolic}$10.7|{UCUM}|kPa",
        )
    }

    assert list(found.values()) == [{resource_id}, set(), {resource_id}]
    assert await ids(api, **{"component-value-quantity": f"16|{UCUM}|kPa"}) == {resource_id}
    assert await ids(api, **{"combo-value-quantity": f"16|{UCUM}|kPa"}) == {resource_id}


async def test_transaction_entries_are_found_in_another_unit(api: AsyncClient) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": json.loads(WEIGHT), "request": {"method": "POST", "url": "Observation"}},
            {
                "resource": blood_pressure(19, 12, "kPa"),
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    answer = await api.post("", json=bundle)
    assert answer.status_code == 200, answer.text
    created = [e["response"]["location"].split("/")[1] for e in answer.json()["entry"]]

    assert await ids(api, **{"value-quantity": f"95000|{UCUM}|g"}) == {created[0]}
    assert await ids(api, **{"component-value-quantity": f"ge140|{UCUM}|mm[Hg]"}) == {created[1]}


@pytest.mark.parametrize(
    "value_quantity",
    [
        pytest.param({"value": 95, "code": "kg", "canonical": {"value": 1, "code": "g"}}, id="set"),
        pytest.param({"value": 95, "code": "kg", "canonical": None}, id="null"),
    ],
)
async def test_a_client_cannot_send_the_canonical_value(
    api: AsyncClient, value_quantity: dict[str, Any]
) -> None:
    resource = {**json.loads(WEIGHT), "valueQuantity": {"system": UCUM, **value_quantity}}
    response = await api.post("/Observation", json=resource)
    assert response.status_code == 400, response.text


async def test_unconvertible_unit_is_found_by_its_code_only(api: AsyncClient) -> None:
    created = await api.post("/Observation", json=quantity(3, "[IU]/L"))
    resource_id = created.json()["id"]

    assert await ids(api, **{"value-quantity": f"3|{UCUM}|[IU]/L"}) == {resource_id}
    assert await ids(api, **{"value-quantity": f"3|{UCUM}|/L"}) == set()
    assert await ids(api, **{"value-quantity": "3||[IU]/L"}) == {resource_id}


def quantity(value: float, code: str) -> Json:
    return {**json.loads(WEIGHT), "valueQuantity": {"value": value, "system": UCUM, "code": code}}


async def test_mass_and_substance_concentrations_do_not_find_each_other(api: AsyncClient) -> None:
    """100 mg/dL of glucose is 5.55 mmol/L only with glucose's molar mass, which UCUM lacks."""
    created = await api.post("/Observation", json=quantity(100, "mg/dL"))
    resource_id = created.json()["id"]

    assert await ids(api, **{"value-quantity": f"5.55|{UCUM}|mmol/L"}) == set()
    assert await ids(api, **{"value-quantity": f"1|{UCUM}|g/L"}) == {resource_id}


async def test_annotations_are_ignored_in_both_directions(api: AsyncClient) -> None:
    created = await api.post("/Observation", json=quantity(72, "{beats}/min"))
    resource_id = created.json()["id"]

    assert await ids(api, **{"value-quantity": f"72|{UCUM}|/min"}) == {resource_id}
    assert await ids(api, **{"value-quantity": f"ge1.2|{UCUM}|{{cycles}}/s"}) == {resource_id}
    assert await ids(api, **{"value-quantity": f"gt1.2|{UCUM}|/s"}) == set()


async def test_quantity_without_a_canonical_view_is_found_in_its_unit(api: AsyncClient) -> None:
    """An Encounter's `length` has no canonical view: a UCUM code that converts still finds it
    by its code as recorded."""
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "length": {"value": 90, "unit": "min", "system": UCUM, "code": "min"},
    }
    created = await api.post("/Encounter", json=encounter)
    assert created.status_code == 201, created.text

    found = await api.get("/Encounter", params={"length": f"90|{UCUM}|min"})

    assert [e["resource"]["id"] for e in found.json()["entry"]] == [created.json()["id"]]


async def test_import_stores_the_canonical_value(tmp_path: Path) -> None:
    path = tmp_path / "observations.ndjson"
    path.write_text(WEIGHT.decode() + "\n" + temperature("98.6") + "\n")

    _, failures, services = await run([path])
    stored = await services.store("Observation").collection.find({}).to_list(None)

    assert failures == []
    assert sorted(
        (d["value_quantity"]["canonical"]["code"], d["value_quantity"]["canonical"]["value"])
        for d in stored
    ) == [("K", 310.15), ("g", 95000)]
