"""The instance route listed first (gateway.http.routes.table.instance_route) takes only what
the instance template would have taken: no route before the template matches its paths."""

from __future__ import annotations

import re

import pytest
from httpx import AsyncClient
from starlette.routing import Route

from gateway.http.app import create_app
from gateway.http.routes.table import Id, TypeName
from tests.conftest import make_settings

_PARAMETER = re.compile(r"\{[^}]+\}")


def segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


def overlaps(path: str, base: str) -> bool:
    """Whether a route of template `path` matches some `{base}/{Type}/{id}` path the first
    route takes: as many segments, each a parameter (any text) or text the first route's
    segment accepts there."""
    wanted = [*[re.escape(s) for s in segments(base)], TypeName.regex, Id.regex]
    found = segments(path)
    return len(found) == len(wanted) and all(
        _PARAMETER.fullmatch(segment) or re.fullmatch(pattern, segment)
        for segment, pattern in zip(found, wanted, strict=True)
    )


@pytest.mark.parametrize("base", ["/fhir", ""])
def test_no_route_before_the_instance_template_matches_the_first_routes_paths(base: str) -> None:
    app = create_app(make_settings(fhir_base_path=base or "/"))
    paths = [r.path for r in app.router.routes if isinstance(r, Route)]
    template = f"{base}/{{resource_type}}/{{resource_id}}"
    first = f"{base}/{{resource_type:fhir_type}}/{{resource_id:fhir_id}}"
    assert paths[0] == first
    between = paths[1 : paths.index(template)]
    assert len(between) > 20
    assert [path for path in between if overlaps(path, base)] == []


def test_the_overlap_check_can_fail() -> None:
    assert overlaps("/fhir/{resource_type}/{resource_id}", "/fhir")
    assert overlaps("/fhir/Patient/everything", "/fhir")  # a fixed path spelled like an id
    assert overlaps("/{compartment}/{id}", "")
    assert not overlaps("/fhir/Patient/$everything", "/fhir")
    assert not overlaps("/fhir/{resource_type}/_history", "/fhir")
    assert not overlaps("/apps/{app}/records", "")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/Patient/p-1.x", 200, id="taken-by-the-first-route"),
        pytest.param("/Patient/p_1", 400, id="invalid-id-reaches-the-template"),
        pytest.param("/patient/p-1.x", 404, id="lowercase-type-reaches-the-template"),
        pytest.param("/Patient/$everything", 200, id="an-operation-keeps-its-route"),
    ],
)
async def test_reads_answer_as_the_template_does(api: AsyncClient, path: str, status: int) -> None:
    created = await api.put("/Patient/p-1.x", json={"resourceType": "Patient", "id": "p-1.x"})
    assert created.status_code == 201, created.text
    response = await api.get(path)
    assert response.status_code == status, response.text
    if path == "/Patient/$everything":
        assert response.json()["type"] == "searchset"
