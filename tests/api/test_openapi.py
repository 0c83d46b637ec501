"""The OpenAPI document at `_openapi.json`: a valid OpenAPI 3.1 description of exactly the
interactions the gateway routes, FHIR JSON in and out; and 405 with `Allow` for other methods.
"""

from __future__ import annotations

import re

import orjson
import pytest
from httpx import AsyncClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from starlette.routing import compile_path

from gateway.demo_records import app_records
from gateway.http.methods import Endpoint
from gateway.http.openapi_apps import server_root
from gateway.http.routes import apps, health, metrics, smart
from gateway.http.routes.docs import rendered
from gateway.http.routes.table import paths
from gateway.jsonio import Json
from gateway.services.apps.registry import available
from gateway.services.capabilities import capability_statement
from gateway.services.generic import kept_types
from gateway.store.conformance import CONFORMANCE_TYPES
from tests.api.test_errors import issue, outcome
from tests.conftest import api_client, make_settings

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
ROOT = [{"url": "/", "description": "The server root: the apps are beside the base."}]
PROBES_ROOT = [{"url": "/", "description": "The server root: the probes are beside the base."}]
METRICS_ROOT = [{"url": "/", "description": "The server root: the metrics are beside the base."}]


@pytest.fixture(scope="module")
def document() -> Json:
    """The document as the route serves it (`test_the_document_is_served_as_json`)."""
    generated: Json = orjson.loads(rendered("/fhir", root="/"))
    return generated


def operations(document: Json) -> list[tuple[str, str, Json]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def at_root(document: Json, path: str) -> bool:
    """Whether the path is served beside the FHIR base (the seed apps), not under it."""
    return "servers" in document["paths"][path]


def routed(url: str, method: str, table: list[tuple[str, dict[str, Endpoint]]]) -> bool:
    """Whether `table` gives `url` a handler for `method` (first match, as Starlette)."""
    for template, handlers in table:
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
    """The base's paths by the base's route table; the apps' paths, whose own `servers` is the
    root, by the routes beside the base."""
    for path, method, _ in operations(document):
        url = re.sub(r"\{([^}]+)\}", lambda m: SAMPLES[m.group(1)], path)
        if at_root(document, path) and path.startswith("/health"):
            assert document["paths"][path]["servers"] == PROBES_ROOT, path
            assert routed(url, method, health.paths()), f"{method.upper()} {path} (root)"
        elif at_root(document, path) and path == "/metrics":
            assert document["paths"][path]["servers"] == METRICS_ROOT, path
            assert routed(url, method, metrics.paths()), f"{method.upper()} {path} (root)"
        elif at_root(document, path):
            assert document["paths"][path]["servers"] == ROOT, path
            assert routed(url, method, apps.paths()), f"{method.upper()} {path} (root)"
        else:
            base_routes = [*smart.paths(""), *paths("")]  # as create_app orders them
            assert routed(url, method, base_routes), f"{method.upper()} {path}"


async def test_every_routed_method_is_documented(document: Json) -> None:
    """Instance paths once, as `/{type}/{id}`; type paths once per type the server keeps."""
    documented = {(path, method.upper()) for path, method, _ in operations(document)}
    for template, handlers in paths(""):
        if template in UNDOCUMENTED:
            continue
        generic = documented_as(template)
        per_type = "{type}" in generic and "{id}" not in generic
        for method in handlers:
            # The conformance types are published read-only and AuditEvents are recorded by
            # the gateway alone: their writes answer 405 (tests/api/test_conformance_writes.py,
            # tests/auth/test_audit_store.py) and are not documented.
            read_only = {*CONFORMANCE_TYPES, "AuditEvent"}
            types = [t for t in kept_types() if t not in read_only or method == "GET"]
            for path in [generic.replace("{type}", t) for t in types] if per_type else [generic]:
                assert (path, method) in documented, f"{method} {path}"
                assert not at_root(document, path), path


async def test_every_routed_apps_method_is_documented_at_the_root(document: Json) -> None:
    """`/apps/{app}/...` once per app, each with its own schema; HEAD is GET's."""
    documented = {(path, method.upper()) for path, method, _ in operations(document)}
    names = [adapter.name for adapter in available()]
    assert len(names) == 4
    for template, handlers in apps.paths():
        for path in [template.replace("{app}", name) for name in names]:
            for method in handlers:
                assert (path, method) in documented, f"{method} {path}"
                assert document["paths"][path]["servers"] == ROOT, path
                assert document["paths"][path][method.lower()]["tags"] == ["Seed apps"]


async def test_every_public_route_is_documented_and_needs_no_token() -> None:
    """SMART discovery, the token endpoint, its keys (under the base) and the probes (at the
    root): documented, and with AUTH_MODE=smart lifted from the bearer requirement."""
    document: Json = orjson.loads(rendered("/fhir", root="/", smart=True))
    documented = {(path, method.upper()) for path, method, _ in operations(document)}
    for table, root in ((smart.paths(""), False), (health.paths(), True)):
        for path, handlers in table:
            for method in handlers:
                assert (path, method) in documented, f"{method} {path}"
                assert at_root(document, path) is root, path
                assert document["paths"][path][method.lower()]["security"] == [], path
    assert document["paths"]["/Patient"]["get"].get("security") is None  # the document's own
    assert document["security"] == [{"smart": []}]


async def test_the_metrics_are_documented_at_the_root_behind_the_token() -> None:
    """`/metrics` sits beside the probes but, unlike them, keeps the bearer requirement."""
    document: Json = orjson.loads(rendered("/fhir", root="/", smart=True))
    documented = {(path, method.upper()) for path, method, _ in operations(document)}
    for path, handlers in metrics.paths():
        for method in handlers:
            assert (path, method) in documented, f"{method} {path}"
            assert document["paths"][path]["servers"] == METRICS_ROOT, path
            assert "security" not in document["paths"][path][method.lower()], path


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
    """Every body in or out is `application/fhir+json` (Bulk Data files and manifests aside;
    the seed apps' records are plain JSON; the metrics Prometheus' text), and every error an
    OperationOutcome."""
    others = {"application/json", "application/fhir+ndjson", "application/x-www-form-urlencoded"}
    exposition = {"text/plain", "application/openmetrics-text"}  # /metrics alone
    for path, method, operation in operations(document):
        taken = ("application/json",) if at_root(document, path) else (
            "application/fhir+json", "application/x-www-form-urlencoded")  # fmt: skip
        for media in operation.get("requestBody", {}).get("content", {}):
            assert media in taken, (path, method)
        for status, answer in operation["responses"].items():
            if "$ref" in answer:
                assert answer["$ref"].startswith("#/components/responses/E") or status == "default"
                continue
            for media in answer.get("content", {}):
                allowed = others | exposition if path == "/metrics" else others
                assert media == "application/fhir+json" or media in allowed, (path, method)
    for answer in document["components"]["responses"].values():
        assert answer["content"] == {
            "application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}
        }


async def test_docs_page_loads_the_document(api: AsyncClient) -> None:
    response = await api.get("/_docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "/fhir/_openapi.json" in response.text


# --- the seed apps, beside the base -----------------------------------------------------------


def resolving(document: Json, schema: Json) -> Draft202012Validator:
    """A validator for `schema`, a `$ref` within `document`, whose `#/...` refs resolve in it."""
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document))
    return Draft202012Validator({"$ref": "urn:openapi" + schema["$ref"]}, registry=registry)


def walk(value: object) -> list[object]:
    """`value` and everything inside it."""
    if isinstance(value, dict):
        return [value, *(x for v in value.values() for x in walk(v))]
    if isinstance(value, list):
        return [value, *(x for v in value for x in walk(v))]
    return [value]


async def test_each_apps_post_body_takes_that_apps_demo_records(document: Json) -> None:
    """The body schema is the app's own (an unknown entity fails it); GET answers the same."""
    demo = app_records()
    assert set(demo) == {adapter.name for adapter in available()}
    for app, records in demo.items():
        item = document["paths"][f"/apps/{app}/records"]
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert item["get"]["responses"]["200"]["content"]["application/json"]["schema"] == schema
        validator = resolving(document, schema)
        assert list(validator.iter_errors(records)) == [], app
        assert not validator.is_valid({**records, "NoSuchEntity": []}), app
        entity, rows = next(
            (e, r) for e, r in records.items() if r and e in schema_of(document, app)
        )
        assert not validator.is_valid({**records, entity: [{**rows[0], "id": {"no": "id"}}]}), app


def schema_of(document: Json, app: str) -> set[str]:
    """The entities of the app's records schema whose rows are checked (have a FHIR home)."""
    item = document["paths"][f"/apps/{app}/records"]
    name = item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    properties = document["components"]["schemas"][name.rsplit("/", 1)[1]]["properties"]
    return {entity for entity, p in properties.items() if "$ref" in p["items"]}


async def test_the_apps_schemas_refer_within_components(document: Json) -> None:
    """No `$defs` is left: a `#/$defs/...` would resolve against the document's root."""
    schemas = document["components"]["schemas"]
    for value in walk(document):
        if isinstance(value, dict):
            assert "$defs" not in value
        if isinstance(value, str) and value.startswith("#/"):
            assert value.startswith("#/components/"), value
            kind, name = value.removeprefix("#/components/").split("/")
            assert name in document["components"][kind], value
    assert any(key.startswith("Medrecord.") and key != "Medrecord.Records" for key in schemas)


async def test_what_post_answers_is_described(document: Json) -> None:
    """The demo records of one app, stored through the API: the answer fits the document."""
    operation = document["paths"]["/apps/medrecord/records"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    async with api_client(make_settings()) as client:
        response = await client.post(
            "http://test/apps/medrecord/records", json=app_records()["medrecord"]
        )
    assert response.status_code == 200, response.text
    assert list(resolving(document, schema).iter_errors(response.json())) == []
    assert response.json()["resources"]["Patient"]["created"] >= 1


@pytest.mark.parametrize(
    ("server", "base_path", "root"),
    [
        pytest.param("/fhir", "/fhir", "/", id="relative"),
        pytest.param("http://h/fhir", "/fhir", "http://h/", id="absolute"),
        pytest.param("http://h/proxy/fhir", "/fhir", "http://h/proxy/", id="behind-a-prefix"),
        pytest.param("/api/r4", "/api/r4", "/", id="two-segments"),
        pytest.param("/", "/", "/", id="base-at-root"),
        pytest.param("http://h", "/", "http://h/", id="absolute-base-at-root"),
        pytest.param("http://h/r4", "/fhir", "http://h/", id="renamed-by-a-proxy"),
    ],
)
def test_the_server_root_is_the_base_without_its_path(
    server: str, base_path: str, root: str
) -> None:
    assert server_root(server, base_path=base_path) == root


@pytest.mark.parametrize(
    ("settings", "root"),
    [
        pytest.param({}, "/", id="relative"),
        pytest.param({"fhir_base_url": "http://h/fhir"}, "http://h/", id="absolute"),
        pytest.param({"fhir_base_path": "/"}, "/", id="base-at-root"),
    ],
)
async def test_the_apps_paths_are_served_from_the_root(settings: Json, root: str) -> None:
    async with api_client(make_settings(**settings)) as client:
        document = (await client.get("_openapi.json")).json()
    # Valid OAS 3.1: test_the_document_is_valid_openapi_3_1 (10 s a run; only URLs differ here)
    base = settings.get("fhir_base_url", settings.get("fhir_base_path", "/fhir").rstrip("/") or "/")
    assert document["servers"] == [{"url": base}]
    at_apps = {path for path in document["paths"] if path.startswith("/apps")}
    assert len(at_apps) == 1 + 2 * len(available())
    beside_the_base = at_apps | {path for path, _ in [*health.paths(), *metrics.paths()]}
    for path, item in document["paths"].items():
        servers = [s["url"] for s in item.get("servers", ())]
        assert servers == ([root] if path in beside_the_base else []), path


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
