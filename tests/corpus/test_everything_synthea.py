"""`Patient/{id}/$everything` on Synthea patients against the R4 Patient compartment.

Two patient Bundles (and the companion batches they point at) go in as transactions; for each
patient, what `$everything` returns page by page must be exactly the stored resources that the
R4 CompartmentDefinition puts in its compartment. Membership is decided here independently of
the gateway's search machinery: each inclusion parameter's R4 FHIRPath expression is walked over
the resource as read back (its simple `Type.path` branches, `where(resolve() is T)` read as a
type test on the reference), and the resource is a member when one reference there is the
patient's.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

import fhir_profiles
from tests.conftest import api_client, make_settings

pytestmark = [pytest.mark.corpus, pytest.mark.asyncio(loop_scope="module")]

PATIENTS = ("Fabian_Murray_a120c913", "Rudolf_Weber_a4b93263")
BASE = "http://test/fhir"
_BRANCH = re.compile(r"\(?([A-Za-z]+)\.([A-Za-z.]+?)\)?(?:\.where\(resolve\(\) is ([A-Za-z]+)\))?")


class Loaded:
    def __init__(self, api: AsyncClient) -> None:
        self.api = api
        self.stored: list[dict[str, Any]] = []  # every resource of the patient Bundles
        self.patients: list[str] = []


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def loaded(fhir_samples: Path) -> AsyncIterator[Loaded]:
    async with api_client(make_settings()) as api:
        result = Loaded(api)
        for path in sorted((fhir_samples / "synthea" / "companion").glob("*.json")):
            response = await api.post("", json=json.loads(path.read_text("utf-8")))
            assert response.status_code == 200, response.text
        for prefix in PATIENTS:
            (path,) = (fhir_samples / "synthea").glob(f"{prefix}*.json")
            response = await api.post("", json=json.loads(path.read_text("utf-8")))
            assert response.status_code == 200, response.text
            for entry in response.json()["entry"]:
                location = entry["response"]["location"].split("/_history")[0]
                resource = (await api.get(f"/{location}")).json()
                result.stored.append(resource)
                if resource["resourceType"] == "Patient":
                    result.patients.append(resource["id"])
        yield result


def _values(value: Any, path: list[str]) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _values(item, path)
    elif not path:
        yield value
    elif isinstance(value, dict):
        yield from _values(value.get(path[0]), path[1:])


def _references(resource: dict[str, Any], code: str) -> list[str]:
    """The references parameter `code` of the resource's type reads (R4 expression)."""
    resource_type = resource["resourceType"]
    expression = fhir_profiles.search_parameters()[(resource_type, code)]["expression"]
    found: list[str] = []
    for branch in expression.split("|"):
        match = _BRANCH.fullmatch(branch.strip())
        assert match is not None, (resource_type, code, branch)
        if match[1] != resource_type:
            continue
        for reference in _values(resource, match[2].split(".")):
            text = reference.get("reference", "") if isinstance(reference, dict) else ""
            if match[3] is None or text.startswith(f"{match[3]}/"):
                found.append(text)
    return found


def _in_compartment(resource: dict[str, Any], patient_id: str) -> bool:
    if resource["resourceType"] == "Patient" and resource["id"] == patient_id:
        return True
    codes = fhir_profiles.compartments()["Patient"].get(resource["resourceType"], ())
    own = {f"Patient/{patient_id}", f"{BASE}/Patient/{patient_id}"}
    return any(ref in own for code in codes for ref in _references(resource, code))


async def _everything(api: AsyncClient, patient_id: str) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    url: str | None = f"/Patient/{patient_id}/$everything?_count=50"
    while url is not None:
        response = await api.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        keys += [(e["resource"]["resourceType"], e["resource"]["id"]) for e in page["entry"]]
        url = next((k["url"] for k in page["link"] if k["relation"] == "next"), None)
        url = url.removeprefix(BASE) if url else None
    return keys


async def test_everything_is_the_r4_patient_compartment(loaded: Loaded) -> None:
    assert len(loaded.patients) == len(PATIENTS)
    for patient_id in loaded.patients:
        returned = await _everything(loaded.api, patient_id)
        expected = {
            (r["resourceType"], r["id"]) for r in loaded.stored if _in_compartment(r, patient_id)
        }
        assert len(returned) == len(set(returned))  # each resource once
        assert set(returned) == expected
        assert returned[0] == ("Patient", patient_id)
        assert len(expected) > 100  # the record, not a handful


async def test_compartment_search_agrees_with_everything(loaded: Loaded) -> None:
    patient_id = loaded.patients[0]
    returned = await _everything(loaded.api, patient_id)
    for resource_type in sorted({t for t, _ in returned} - {"Patient"}):
        response = await loaded.api.get(
            f"/Patient/{patient_id}/{resource_type}", params={"_count": "1000"}
        )
        assert response.status_code == 200, response.text
        found = {e["resource"]["id"] for e in response.json().get("entry", [])}
        assert found == {i for t, i in returned if t == resource_type}, resource_type
