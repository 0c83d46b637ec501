"""Quantities in any unit on a real MongoDB: run when FHIR_GATEWAY_TEST_MONGODB_URI is set.

The canonical value is a Decimal128 there, and so are a search's bounds: 98.6 [degF] is found
on the boundary of `le37|…|Cel` and `ge37|…|Cel`, where a double bound would miss it.
"""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.api.test_quantity_units import UCUM, WEIGHT, ids, temperature
from tests.mongodb.test_real_server import mongo_api, pytestmark

__all__ = ["mongo_api", "pytestmark"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param(f"le37|{UCUM}|Cel", True, id="le-boundary"),
        pytest.param(f"ge37|{UCUM}|Cel", True, id="ge-boundary"),
        pytest.param(f"eq37|{UCUM}|Cel", True, id="eq-range"),
        pytest.param(f"lt37|{UCUM}|Cel", False, id="lt-boundary"),
        pytest.param(f"gt37|{UCUM}|Cel", False, id="gt-boundary"),
    ],
)
async def test_fahrenheit_on_a_celsius_boundary(
    mongo_api: AsyncClient, query: str, found: bool
) -> None:
    created = await mongo_api.post("/Observation", content=temperature("98.6"))
    assert created.status_code == 201, created.text

    matched = await ids(mongo_api, **{"value-quantity": query})

    assert matched == ({created.json()["id"]} if found else set())


async def test_weight_in_kg_found_in_pounds(mongo_api: AsyncClient) -> None:
    created = await mongo_api.post("/Observation", content=WEIGHT)

    matched = await ids(mongo_api, **{"value-quantity": f"gt200|{UCUM}|[lb_av]"})

    assert matched == {created.json()["id"]}
