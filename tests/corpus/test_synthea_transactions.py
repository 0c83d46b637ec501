"""Synthea patient Bundles post as transactions, after the companion batches they point at.

Every entry is created; every stored resource reads back as sent, apart from its id, its
meta and references the gateway rewrote (a `urn:uuid:` fullUrl became `Type/<assigned id>`,
a conditional reference `Practitioner?identifier=…` became the one match).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

from tests.conftest import api_client, make_settings, samples_dir
from tests.corpus.test_round_trip import comparable

pytestmark = [pytest.mark.corpus, pytest.mark.asyncio(loop_scope="module")]


def _bundles(folder: str) -> list[Any]:
    directory = samples_dir()
    if directory is None:
        return [pytest.param(None, id="samples-absent")]
    files = sorted((directory / "synthea" / folder).glob("*.json"))
    return [pytest.param(path, id=path.name[:40]) for path in files]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def loaded(fhir_samples: Path) -> AsyncIterator[AsyncClient]:
    """One gateway for the module, with the companion batches (hospitals, practitioners) in."""
    async with api_client(make_settings(), raise_app_exceptions=False) as api:
        for path in sorted((fhir_samples / "synthea" / "companion").glob("*.json")):
            response = await api.post("", json=json.loads(path.read_text("utf-8")))
            assert response.status_code == 200, response.text
            statuses = {e["response"]["status"] for e in response.json()["entry"]}
            assert statuses == {"201 Created"}, (path.name, statuses)
        yield api


def _references(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value] if isinstance(value.get("reference"), str) else []
        return found + [r for child in value.values() for r in _references(child)]
    if isinstance(value, list):
        return [r for item in value for r in _references(item)]
    return []


async def _expected(
    api: AsyncClient, resource: dict[str, Any], assigned: dict[str, str]
) -> dict[str, Any]:
    """The resource as the gateway should store it: references rewritten as the spec says."""
    expected = copy.deepcopy(resource)
    for holder in _references(expected):
        reference = holder["reference"]
        if reference in assigned:
            holder["reference"] = assigned[reference]
        elif "?" in reference and not reference.startswith("#"):
            resource_type, _, criteria = reference.partition("?")
            found = (await api.get(f"/{resource_type}?{criteria}&_elements=id")).json()
            assert found["total"] == 1, reference
            holder["reference"] = f"{resource_type}/{found['entry'][0]['resource']['id']}"
    return comparable(expected)


@pytest.mark.parametrize("path", _bundles("."))
async def test_synthea_bundle_posts_as_one_transaction(loaded: AsyncClient, path: Path) -> None:
    bundle = json.loads(path.read_text("utf-8"))
    response = await loaded.post("", json=bundle)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == "transaction-response"
    assert [e["response"]["status"] for e in answer["entry"]] == ["201 Created"] * len(
        bundle["entry"]
    )
    locations = [e["response"]["location"].split("/_history")[0] for e in answer["entry"]]
    assigned = {e["fullUrl"]: loc for e, loc in zip(bundle["entry"], locations, strict=True)}
    mismatches = []
    for entry, location in zip(bundle["entry"], locations, strict=True):
        stored = (await loaded.get(f"/{location}")).json()
        if comparable(stored) != await _expected(loaded, entry["resource"], assigned):
            mismatches.append(location)
        if stored["resourceType"] == "Observation":
            for element in ("subject", "encounter"):
                original = entry["resource"].get(element, {}).get("reference")
                if original in assigned:
                    assert stored[element]["reference"] == assigned[original]
    assert mismatches == []


async def test_a_patient_with_if_none_exist_is_created_once(fhir_samples: Path) -> None:
    """On a gateway of its own; a SMART bundle needs no companion (no conditional references)."""
    path = fhir_samples / "synthea" / "Claudie_Walsh_498377b3-e385-40ab-9acd-06b657e2f599.json"
    bundle = json.loads(path.read_text("utf-8"))
    patient_entry = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    identifier = patient_entry["resource"]["identifier"][0]
    criteria = f"identifier={identifier['system']}|{identifier['value']}"
    patient_entry["request"]["ifNoneExist"] = criteria
    async with api_client(make_settings()) as api:
        responses = [await api.post("", json=copy.deepcopy(bundle)) for _ in range(2)]
        assert [r.status_code for r in responses] == [200, 200], responses[-1].text
        answers = [r.json() for r in responses]
        found = (await api.get(f"/Patient?{criteria}")).json()
    index = bundle["entry"].index(patient_entry)
    assert [a["entry"][index]["response"]["status"] for a in answers] == ["201 Created", "200 OK"]
    assert found["total"] == 1
