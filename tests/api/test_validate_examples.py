"""The gateway's own profile examples (tests/fixtures/profiles, written with the profiles) through
the API: each valid one is stored and `$validate` finds no error in it; each invalid one is
refused with its error at the expected path with the expected rule, and `$validate` says the
same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.api.validate_fixtures import errors

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "profiles"
EXPECTED: dict[str, Json] = json.loads((EXAMPLES / "expected.json").read_text())


def examples(kind: str) -> list[Path]:
    return sorted((EXAMPLES / kind).glob("*.json"))


def load(path: Path) -> Json:
    resource: Json = json.loads(path.read_text())
    return resource


@pytest.mark.parametrize("path", examples("valid"), ids=lambda path: path.stem)
async def test_a_valid_example_is_stored_and_validates(api: AsyncClient, path: Path) -> None:
    resource = load(path)
    resource_type = resource["resourceType"]
    answer = (await api.post(f"/{resource_type}/$validate", json=resource)).json()
    assert set(errors(answer)) == set(), answer
    response = await api.post(f"/{resource_type}", json=resource)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("path", examples("invalid"), ids=lambda path: path.stem)
async def test_an_invalid_example_is_refused_at_its_path_with_its_rule(
    api: AsyncClient, path: Path
) -> None:
    resource = load(path)
    resource_type = resource["resourceType"]
    expected = (EXPECTED[path.stem]["expression"], EXPECTED[path.stem]["key"])
    response = await api.post(f"/{resource_type}", json=resource)
    assert response.status_code == 422, response.text
    assert expected in errors(response.json())
    answer = (await api.post(f"/{resource_type}/$validate", json=resource)).json()
    assert expected in errors(answer)
