"""Decimals keep their text through every interaction: `1.50` is served as `1.50`.

https://hl7.org/fhir/R4/json.html (decimal precision SHALL be preserved) and
datatypes.html#decimal (`0.010` is not `0.01`). Each number below sits in a modelled element
(Observation.valueQuantity, referenceRange, component), an extension and a type kept whole
(Invoice); the response bytes must carry it exactly as the request did. Search compares values.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from httpx import AsyncClient, Response

from tests.api.test_bulk_export import kick_off, manifest_of
from tests.api.test_errors import issue, outcome

NUMBERS = [
    "1.50",
    "0.10",
    "100.0",
    "1e-400",
    "1E+5",
    "-0.0",
    "12345678901234567890.123",
    "123456789012345678901234567890",
]
_N = "@N@"  # where the number goes
_UCUM = {"unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}
OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "extension": [{"url": "http://example.org/fhir/StructureDefinition/raw", "valueDecimal": _N}],
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
    "valueQuantity": {"value": _N, **_UCUM},
    "referenceRange": [{"low": {"value": _N, **_UCUM}, "high": {"value": _N, **_UCUM}}],
    "component": [
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "33914-3"}]},
            "valueQuantity": {"value": _N, **_UCUM},
            "referenceRange": [{"low": {"value": _N, **_UCUM}}],
        }
    ],
}
INVOICE: dict[str, Any] = {  # kept whole: no domain model reads its decimals
    "resourceType": "Invoice",
    "status": "issued",
    "lineItem": [
        {
            "chargeItemCodeableConcept": {"text": "Lipid panel"},
            "priceComponent": [
                {"type": "base", "factor": _N, "amount": {"value": _N, "currency": "EUR"}}
            ],
        }
    ],
    "totalNet": {"value": _N, "currency": "EUR"},
}
PLACES = {"Observation": 6, "Invoice": 3}  # how many times each holds the number
_NUMBER_AT = re.compile(rb'"(?:value|valueDecimal|factor)"\s*:\s*(-?[0-9][0-9.eE+-]*)')


def text(resource: dict[str, Any], number: str) -> str:
    """`resource` as JSON text with `number` written where it says @N@."""
    return json.dumps(resource).replace(f'"{_N}"', number)


def numbers(response: Response) -> list[str]:
    """The numbers in the response body, as written there."""
    return [found.decode() for found in _NUMBER_AT.findall(response.content)]


async def create(api: AsyncClient, body: str) -> Response:
    response = await api.post(f"/{json.loads(body.replace(_N, '0'))['resourceType']}", content=body)
    assert response.status_code == 201, response.text
    return response


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("resource", [OBSERVATION, INVOICE], ids=["Observation", "Invoice"])
async def test_create_read_vread_and_search_serve_the_number_as_sent(
    api: AsyncClient, resource: dict[str, Any], number: str
) -> None:
    kind, places = resource["resourceType"], PLACES[resource["resourceType"]]
    created = await create(api, text(resource, number))
    resource_id = created.json()["id"]

    answers = [
        created,
        await api.get(f"/{kind}/{resource_id}"),
        await api.get(f"/{kind}/{resource_id}", params={"_pretty": "true"}),
        await api.get(f"/{kind}/{resource_id}/_history/1"),
        await api.get(f"/{kind}", params={"_id": resource_id}),
    ]

    assert [(r.status_code, numbers(r)) for r in answers[1:]] == [(200, [number] * places)] * 4
    assert numbers(created) == [number] * places


@pytest.mark.parametrize("number", NUMBERS)
async def test_history_serves_every_version_as_sent(api: AsyncClient, number: str) -> None:
    created = await create(api, text(OBSERVATION, number))
    resource_id = created.json()["id"]
    amended = text({**OBSERVATION, "id": resource_id, "status": "amended"}, number)
    assert (await api.put(f"/Observation/{resource_id}", content=amended)).status_code == 200

    archived = await api.get(f"/Observation/{resource_id}/_history/1")
    history = await api.get(f"/Observation/{resource_id}/_history")

    assert (archived.status_code, numbers(archived)) == (200, [number] * 6)
    assert (history.status_code, numbers(history)) == (200, [number] * 12)


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("kind", ["transaction", "batch"])
async def test_bundle_responses_and_what_they_stored_keep_the_number(
    api: AsyncClient, kind: str, number: str
) -> None:
    entries = [
        {"resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
        for resource in (OBSERVATION, INVOICE)
    ]
    bundle = text({"resourceType": "Bundle", "type": kind, "entry": entries}, number)

    answer = await api.post("", content=bundle, headers={"Prefer": "return=representation"})
    locations = [entry["response"]["location"] for entry in answer.json()["entry"]]
    stored = [await api.get(location.removeprefix("http://test/fhir")) for location in locations]

    assert (answer.status_code, numbers(answer)) == (200, [number] * 9)
    assert [numbers(r) for r in stored] == [[number] * 6, [number] * 3]


async def test_bulk_export_files_hold_every_number_as_sent(api: AsyncClient) -> None:
    for number in NUMBERS:
        await create(api, text(OBSERVATION, number))
        await create(api, text(INVOICE, number))

    manifest = await manifest_of(api, await kick_off(api, _type="Observation,Invoice"))
    files = {
        item["type"]: await api.get(item["url"].removeprefix("http://test/fhir"))
        for item in manifest["output"]
    }

    assert sorted(files) == ["Invoice", "Observation"]
    for kind, response in files.items():
        per_line = [
            [found.decode() for found in _NUMBER_AT.findall(line)]
            for line in response.content.splitlines()
        ]
        assert sorted(per_line) == sorted([number] * PLACES[kind] for number in NUMBERS)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param("1.5", ["1.50"], id="eq-fewer-digits"),
        pytest.param("1.50", ["1.50"], id="eq-as-written"),
        pytest.param("gt1.49", ["1.50", "2.5"], id="gt"),
        pytest.param("le1.5", ["1.50"], id="le"),
        pytest.param("lt1.49", [], id="lt"),
        pytest.param("1.50|http://unitsofmeasure.org|mg/dL", ["1.50"], id="with-unit"),
    ],
)
async def test_search_compares_decimals_by_value(
    api: AsyncClient, query: str, found: list[str]
) -> None:
    for number in ("1.50", "2.5"):
        await create(api, text(OBSERVATION, number))

    answer = await api.get(
        "/Observation", params={"value-quantity": query, "_sort": "value-quantity"}
    )

    assert (answer.status_code, numbers(answer)[1::6]) == (200, found)


async def test_sorting_by_a_decimal_pages_through_every_value(api: AsyncClient) -> None:
    for number in ("1E+5", "1.50", "2.5", "0.10"):
        await create(api, text(OBSERVATION, number))

    served: list[str] = []
    page = await api.get("/Observation", params={"_sort": "value-quantity", "_count": "1"})
    while True:
        assert page.status_code == 200, page.text
        served += numbers(page)[1:2]  # the valueQuantity of the page's one Observation
        following = [link["url"] for link in page.json()["link"] if link["relation"] == "next"]
        if not following:
            break
        page = await api.get(following[0].removeprefix("http://test/fhir"))

    assert served == ["0.10", "1.50", "2.5", "1E+5"]


async def test_an_update_that_only_adds_precision_is_a_new_version(api: AsyncClient) -> None:
    created = await create(api, text(OBSERVATION, "1.5"))
    resource_id = created.json()["id"]
    precise = text({**OBSERVATION, "id": resource_id}, "1.50")

    first = await api.put(f"/Observation/{resource_id}", content=precise)
    again = await api.put(f"/Observation/{resource_id}", content=precise)

    assert (first.status_code, first.json()["meta"]["versionId"], numbers(first)) == (
        200,
        "2",
        ["1.50"] * 6,
    )
    assert again.json()["meta"]["versionId"] == "2"  # the same text again changes nothing


async def test_an_integer_beyond_an_integer_element_is_a_400(api: AsyncClient) -> None:
    integer = {k: v for k, v in OBSERVATION.items() if k != "valueQuantity"} | {"valueInteger": _N}
    body = text(integer, "1" * 30)

    answer = await api.post("/Observation", content=body)

    assert answer.status_code == 400, answer.text
    assert answer.json()["issue"][0]["expression"] == ["Observation.valueInteger"]


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("NaN", id="nan"),
        pytest.param("-Infinity", id="infinity"),
        pytest.param('"\\ud800"', id="lone-surrogate"),
        pytest.param('1E5, "x": "\\udc00"', id="lossy-number-and-lone-surrogate"),
    ],
)
async def test_what_json_does_not_allow_is_a_400(api: AsyncClient, number: str) -> None:
    answer = await api.post("/Observation", content=text(OBSERVATION, number))

    assert answer.status_code == 400, answer.text
    assert answer.json() == outcome(
        issue("invalid", answer.json()["issue"][0]["diagnostics"], details="MSG_JSON_OBJECT")
    )
    assert answer.json()["issue"][0]["diagnostics"].startswith("The body is not valid JSON")
