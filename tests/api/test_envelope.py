"""The envelope (gateway.http.envelope; issue 13, part 6): request id, security headers, CORS,
URL limits, nothing secret logged. Adapted from the earlier `harden` branch's tests."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from httpx import AsyncClient, Response

from gateway.request_context import current_request_id
from tests.conftest import api_client, make_settings

UUID_HEX = re.compile(r"[0-9a-f]{32}")
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female"}


@asynccontextmanager
async def gateway(**overrides: Any) -> AsyncIterator[AsyncClient]:
    """A client on the base of a new app that also holds `/boom` (a bug) and `/whoami`."""
    context = api_client(make_settings(**overrides), raise_app_exceptions=False)

    async def boom() -> None:
        logging.getLogger("tests.boom").warning("about to fail")
        raise RuntimeError("injected failure")

    async def whoami() -> dict[str, str | None]:
        logging.getLogger("tests.whoami").info("asked")
        return {"request_id": current_request_id()}

    context.app.add_api_route("/boom", boom, methods=["GET", "POST"])
    context.app.add_api_route("/whoami", whoami)
    context.app.router.routes[:0] = context.app.router.routes[-2:]  # before the base's templates
    del context.app.router.routes[-2:]
    async with context as client:
        assert (await client.put("/Patient/p1", json=PATIENT)).status_code == 201
        yield client


@pytest.fixture
async def api() -> AsyncIterator[AsyncClient]:
    async with gateway() as client:
        yield client


ROUTE_KINDS = [
    pytest.param("/Patient/p1", 200, id="fhir-read"),
    pytest.param("/Patient?gender=female", 200, id="fhir-search"),
    pytest.param("/metadata", 200, id="metadata"),
    pytest.param("http://test/apps", 200, id="apps"),
    pytest.param("http://test/health", 200, id="health"),
    pytest.param("/Patient/missing", 404, id="error-404"),
    pytest.param("http://test/boom", 500, id="error-500"),
]


@pytest.mark.parametrize(("url", "status"), ROUTE_KINDS)
async def test_every_route_kind_carries_the_request_id_and_security_headers(
    api: AsyncClient, url: str, status: int
) -> None:
    r = await api.get(url)
    assert r.status_code == status, r.text
    assert UUID_HEX.fullmatch(r.headers["x-request-id"])
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == STRICT_CSP
    assert "strict-transport-security" not in r.headers
    cacheable = url == "/metadata"
    assert r.headers.get("cache-control") == (None if cacheable else "no-store")


async def test_each_request_gets_its_own_id(api: AsyncClient) -> None:
    ids = {(await api.get("/Patient/p1")).headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param("abc-123", id="short"),
        pytest.param("trace:01H.x_y-Z", id="every-allowed-kind"),
        pytest.param("a" * 128, id="at-the-length-limit"),
    ],
)
async def test_a_sane_client_request_id_is_echoed(api: AsyncClient, sent: str) -> None:
    r = await api.get("/Patient/p1", headers={"X-Request-ID": sent})
    assert r.headers["x-request-id"] == sent
    assert (await api.get("http://test/whoami", headers={"X-Request-ID": sent})).json() == {
        "request_id": sent
    }


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param("a" * 129, id="too-long"),
        pytest.param("a b", id="space"),
        pytest.param("<script>", id="markup"),
        pytest.param("id%0d%0aforged log line", id="encoded-newline"),
        pytest.param("", id="empty"),
    ],
)
async def test_an_insane_client_request_id_is_replaced(api: AsyncClient, sent: str) -> None:
    r = await api.get("/Patient/p1", headers={"X-Request-ID": sent})
    assert UUID_HEX.fullmatch(r.headers["x-request-id"])


async def test_the_request_id_is_none_outside_a_request(api: AsyncClient) -> None:
    await api.get("/Patient/p1")
    assert current_request_id() is None


async def test_log_records_carry_the_request_id(
    api: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    r = await api.get("http://test/whoami", headers={"X-Request-ID": "req-42"})
    [record] = [rec for rec in caplog.records if rec.name == "tests.whoami"]
    assert record.request_id == "req-42"  # type: ignore[attr-defined]
    assert r.json() == {"request_id": "req-42"}
    logging.getLogger("tests.outside").warning("no request")
    assert caplog.records[-1].request_id == "-"  # type: ignore[attr-defined]


async def test_a_500_carries_the_request_id_and_its_log_records_too(
    api: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    r = await api.get("http://test/boom", headers={"X-Request-ID": "req-500"})
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-500"
    assert r.headers["cache-control"] == "no-store"
    assert r.json()["issue"][0]["code"] == "exception"
    [warned, logged] = [rec for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert warned.request_id == logged.request_id == "req-500"  # type: ignore[attr-defined]


async def test_the_documentation_may_load_its_script_and_be_cached(api: AsyncClient) -> None:
    for url in ("/_docs", "/_openapi.json"):
        r = await api.get(url)
        assert r.status_code == 200
        assert "content-security-policy" not in r.headers  # Swagger UI loads a CDN script
        assert "cache-control" not in r.headers
        assert r.headers["x-content-type-options"] == "nosniff"
        assert UUID_HEX.fullmatch(r.headers["x-request-id"])


async def test_hsts_only_when_the_setting_says_https() -> None:
    async with gateway(hsts_max_age_seconds=31536000) as client:
        r = await client.get("/Patient/p1")
    assert r.headers["strict-transport-security"] == "max-age=31536000"


def preflight(origin: str, method: str = "PUT") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, if-match",
    }


async def test_cors_is_off_by_default(api: AsyncClient) -> None:
    r = await api.options("/Patient/p1", headers=preflight("https://app.example"))
    assert "access-control-allow-origin" not in r.headers
    r = await api.get("/Patient/p1", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in r.headers


async def test_cors_preflight_allowed_for_a_listed_origin_refused_for_others() -> None:
    async with gateway(cors_origins=["https://app.example"]) as client:
        allowed = await client.options("/Patient/p1", headers=preflight("https://app.example"))
        refused = await client.options("/Patient/p1", headers=preflight("https://evil.example"))
        simple = await client.get("/Patient/p1", headers={"Origin": "https://app.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert (
        allowed.headers["access-control-allow-methods"]
        == "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    )
    assert "If-None-Exist" in allowed.headers["access-control-allow-headers"]
    assert UUID_HEX.fullmatch(allowed.headers["x-request-id"])
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert simple.headers["access-control-expose-headers"] == (
        "Location, ETag, Last-Modified, Content-Location, X-Request-ID, WWW-Authenticate"
    )


async def test_cors_any_origin_is_without_credentials() -> None:
    async with gateway(cors_origins=["*"]) as client:
        r = await client.options("/Patient/p1", headers=preflight("https://any.example"))
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers


def too_long(r: Response, what: str) -> None:
    assert r.status_code == 400, r.text
    [issue] = r.json()["issue"]
    assert issue["code"] == "too-long"
    assert what in issue["diagnostics"]
    assert UUID_HEX.fullmatch(r.headers["x-request-id"])
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "prefix", [pytest.param("/fhir/Patient", id="fhir"), pytest.param("/apps", id="apps")]
)
async def test_the_url_length_limit_at_and_over_the_edge(prefix: str) -> None:
    limit = 100
    async with gateway(max_url_length=limit) as client:
        query = "?name=" + "a" * (limit - len(prefix) - 6)
        assert len(prefix + query) == limit
        at = await client.get(f"http://test{prefix}{query}")
        over = await client.get(f"http://test{prefix}{query}a")
    assert at.status_code == 200, at.text
    too_long(over, "the limit is 100 (`MAX_URL_LENGTH`)")
    assert over.json()["issue"][0]["diagnostics"] == (
        "The URL is 101 characters long; the limit is 100 (`MAX_URL_LENGTH`)."
    )


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("/Patient", id="fhir-search"),
        pytest.param("/Patient/p1", id="fhir-read"),
        pytest.param("http://test/apps", id="apps"),
        pytest.param("http://test/health", id="health"),
    ],
)
async def test_the_query_parameter_limit_at_and_over_the_edge(url: str) -> None:
    async with gateway(max_query_parameters=3) as client:
        at = await client.get(url, params=[("_id", "p1"), ("gender", "female"), ("_count", "5")])
        over = await client.get(
            url, params=[("_id", "p1"), ("gender", "female"), ("_count", "5"), ("_sort", "_id")]
        )
    assert at.status_code == 200, at.text
    too_long(over, "The query has 4 parameters; the limit is 3 (`MAX_QUERY_PARAMETERS`).")


async def test_a_search_at_the_limits_answers_normally() -> None:
    async with gateway(max_query_parameters=2) as client:
        r = await client.get("/Patient", params={"gender": "female", "_id": "p1"})
    assert r.status_code == 200, r.text
    assert [e["resource"]["id"] for e in r.json()["entry"]] == ["p1"]


TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2lnbmF0dXJl"
BODY_SECRET = "SECRET-BODY-TEXT-4711"


@pytest.mark.parametrize(
    ("url", "body", "status"),
    [
        pytest.param("http://test/boom", f'{{"note": "{BODY_SECRET}"}}', 500, id="500"),
        pytest.param(
            "/Patient",
            f'{{"resourceType": "Patient", "gender": 7, "note": "{BODY_SECRET}"}}',
            400,
            id="400-invalid-resource",
        ),
        pytest.param(
            "/Patient", f'{{"resourceType": "Patient", "{BODY_SECRET}', 400, id="400-bad-json"
        ),
    ],
)
async def test_bodies_and_tokens_are_never_logged(
    api: AsyncClient, caplog: pytest.LogCaptureFixture, url: str, body: str, status: int
) -> None:
    caplog.set_level(logging.DEBUG)
    r = await api.post(url, content=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == status, r.text
    request_id = r.headers["x-request-id"]
    mine = [rec for rec in caplog.records if getattr(rec, "request_id", None) == request_id]
    assert mine or status != 500  # the 500 was logged, under this request's id
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.args)
        assert TOKEN not in text
        assert "c2VjcmV0LXRva2VuLXBheWxvYWQ" not in text
        assert BODY_SECRET not in text
