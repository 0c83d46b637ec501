"""Decimals on a real MongoDB: run when FHIR_GATEWAY_TEST_MONGODB_URI is set.

The current version stores each decimal a float would not reproduce as a Decimal128
(gateway.store.client): its digits and exponent come back, spelled as Decimal128 spells them (`1e-400` as
`1E-400`), and MongoDB compares it with the doubles of a search. History keeps the text as sent.
"""

from __future__ import annotations

import re

from httpx import AsyncClient

from tests.api.test_decimals import OBSERVATION, text
from tests.mongodb.test_real_server import mongo_api, pytestmark

__all__ = ["mongo_api", "pytestmark"]
_VALUE = re.compile(rb'"valueQuantity":\{"value":(-?[0-9][0-9.eE+-]*)')


def value(body: bytes) -> str:
    found = _VALUE.search(body)
    assert found is not None, body
    return found.group(1).decode()


async def test_decimals_come_back_exactly_and_compare_as_numbers(mongo_api: AsyncClient) -> None:
    ids = {}
    for number in ("1.50", "1e-400"):
        created = await mongo_api.post("/Observation", content=text(OBSERVATION, number))
        assert created.status_code == 201, created.text
        ids[number] = created.json()["id"]

    read = {n: (await mongo_api.get(f"/Observation/{i}")).content for n, i in ids.items()}
    found = await mongo_api.get("/Observation", params={"value-quantity": "gt1.4"})

    assert {n: value(body) for n, body in read.items()} == {"1.50": "1.50", "1e-400": "1E-400"}
    assert [e["resource"]["id"] for e in found.json()["entry"]] == [ids["1.50"]]


async def test_history_keeps_the_text_as_sent(mongo_api: AsyncClient) -> None:
    created = await mongo_api.post("/Observation", content=text(OBSERVATION, "1e-400"))
    resource_id = created.json()["id"]
    amended = text({**OBSERVATION, "id": resource_id, "status": "amended"}, "0.10")
    assert (await mongo_api.put(f"/Observation/{resource_id}", content=amended)).status_code == 200

    first = await mongo_api.get(f"/Observation/{resource_id}/_history/1")
    second = await mongo_api.get(f"/Observation/{resource_id}/_history/2")

    assert (value(first.content), value(second.content)) == ("1e-400", "0.10")
