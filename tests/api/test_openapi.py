"""The OpenAPI document at `_openapi.json`: a valid OpenAPI 3.1 description of exactly the
interactions the gateway routes, FHIR JSON in and out; and 405 with `Allow` for other methods.
"""

from __future__ import annotations

import re

import orjson
import pytest
from httpx import AsyncClient
from openapi_spec_validator import validate
from starlette.routing import compile_path

from gateway.http.routes.docs import rendered
from gateway.http.routes.table import paths
from gateway.jsonio import Json
from gateway.services.capabilities import capability_statement
from gateway.services.generic import kept_types
from gateway.store.conformance import CONFORMANCE_TYPES
from tests.api.test_errors import issue, outcome

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# A value for each path parameter, to turn a documented template into a URL the router sees.
SAMPLES = {
    "compartment": "Patient",
    "type": "Patient",
    "id": "p1",
    "vid": "1",
    "job_id": "j",
    "file_name": "f.ndjson",
}
UNDOCUMENTED = {"/_openapi.json", "/_docs"}  # the document itself and its viewer


@pytest.fixture(scope="module")
def document() -> Json:
    """The document as the route serves it (`test_the_document_is_served_as_json`)."""
    generated: Json = orjson.loads(rendered("/fhir"))
    return generated


def operations(document: Json) -> list[tuple[str, str, Json]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def routed(url: str, method: str) -> bool:
    """Whether the route table gives `url` a handler for `method` (first match, as Starlette)."""
    for template, handlers in paths(""):
        if compile_path(template)[0].match(url):
            return method.upper() in handlers
    return False


def documented_as(template: str) -> str:
    """A route template in the document's terms."""
    names = {"{resource_type}": "{type}", "{resource_id}": "{id}", "{version_id}": "{vid}"}
    for name, documented in names.items():
        template = template.replace(name, documented)
    return template


async def test_the_document_is_served_as_json(api: AsyncClient, document: Json) -> None:
    response = await api.get("/_openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == document


async def test_the_document_is_valid_openapi_3_1(document: Json) -> None:
    validate(document)  # openapi-spec-validator: the OAS 3.1 schema and its semantic rules
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/fhir"}]


async def test_every_documented_operation_is_routed(document: Json) -> None:
    for path, method, _ in operations(document):
        url = re.sub(r"\{([^}]+)\}", lambda m: SAMPLES[m.group(1)], path)
        assert routed(url, method), f"{method.upper()} {path}"


async def test_every_routed_method_is_documented(document: Json) -> None:
    """Instance paths once, as `/{type}/{id}`; type paths once per type the server keeps."""
    documented = {(path, method.upper()) for path, method, _ in operations(document)}
    for template, handlers in paths(""):
        if template in UNDOCUMENTED:
            continue
        generic = documented_as(template)
        per_type = "{type}" in generic and "{id}" not in generic
        for method in handlers:
            # The conformance types are published read-only: their writes answer 405
            # (tests/api/test_conformance_writes.py) and are not documented.
            types = [t for t in kept_types() if t not in CONFORMANCE_TYPES or method == "GET"]
            for path in [generic.replace("{type}", t) for t in types] if per_type else [generic]:
                assert (path, method) in documented, f"{method} {path}"


async def test_each_type_is_searched_by_its_own_parameters(document: Json) -> None:
    statement = capability_statement(base_url="http://test/fhir", date="2026-01-01")
    parameters = document["components"]["parameters"]
    for resource in statement["rest"][0]["resource"]:
        search = document["paths"][f"/{resource['type']}"]["get"]
        names = {
            parameters[p["$ref"].rsplit("/", 1)[-1]]["name"] if "$ref" in p else p["name"]
            for p in search["parameters"]
        }
        assert {p["name"] for p in resource["searchParam"]} <= names, resource["type"]
        assert {"_count", "_sort", "_include", "_format"} <= names


async def test_bodies_and_errors_are_fhir_json(document: Json) -> None:
    """Every body in or out is `application/fhir+json` (Bulk Data files and manifests aside),
    and every error an OperationOutcome."""
    others = {"application/json", "application/fhir+ndjson", "application/x-www-form-urlencoded"}
    for path, method, operation in operations(document):
        for media in operation.get("requestBody", {}).get("content", {}):
            assert media in ("application/fhir+json", "application/x-www-form-urlencoded")
        for status, answer in operation["responses"].items():
            if "$ref" in answer:
                assert answer["$ref"].startswith("#/components/responses/E") or status == "default"
                continue
            for media in answer.get("content", {}):
                assert media == "application/fhir+json" or media in others, (path, method)
    for answer in document["components"]["responses"].values():
        assert answer["content"] == {
            "application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}
        }


async def test_docs_page_loads_the_document(api: AsyncClient) -> None:
    response = await api.get("/_docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "/fhir/_openapi.json" in response.text


# --- 405 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("PUT", "/metadata", "GET, HEAD", id="put-metadata"),
        pytest.param("DELETE", "/metadata", "GET, HEAD", id="delete-metadata"),
        pytest.param("POST", "/metadata", "GET, HEAD", id="post-metadata"),
        pytest.param("POST", "/Patient/p1", "GET, PUT, DELETE, HEAD", id="post-instance"),
        pytest.param("PATCH", "/Patient/p1", "GET, PUT, DELETE, HEAD", id="patch-instance"),
        pytest.param("PATCH", "/Patient", "GET, POST, PUT, DELETE, HEAD", id="patch-type"),
        pytest.param("GET", "/Patient/_search", "POST", id="get-search"),
        pytest.param("PUT", "/", "GET, POST, HEAD", id="put-base"),
        pytest.param("GET", "/_search", "POST", id="get-system-search"),
        pytest.param("DELETE", "/_history", "GET, HEAD", id="delete-system-history"),
        pytest.param("PUT", "/Observation/$lastn", "GET, HEAD", id="put-lastn"),
        pytest.param("POST", "/$export", "GET, HEAD", id="post-export"),
        pytest.param("PUT", "/$export-poll-status/j", "GET, DELETE, HEAD", id="put-status"),
        pytest.param("DELETE", "/Patient/p1/_history", "GET, HEAD", id="delete-history"),
        pytest.param("PUT", "/_openapi.json", "GET, HEAD", id="put-openapi"),
    ],
)
async def test_a_method_the_path_does_not_take_is_405_with_allow(
    api: AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await api.request(method, path, json={"resourceType": "Patient"})
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.json() == outcome(
        issue("not-supported", f"`{method}` is not supported at `/fhir{path}`.")
    )
