"""The HTTP edge with AUTH_MODE=smart: every route but the public ones needs a good token.

Over HTTP, against an app trusting keys this test generates (tests.auth.tokens_for_tests):
what a client without a token, with a bad one, or with one lacking the scope is answered.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from joserfc import jwk
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.auth.grant import GRANT_ALL, Grant
from gateway.auth.unauthorized import REALM_CHALLENGE
from gateway.http.app import create_app
from gateway.http.methods import route
from gateway.http.responses import FHIRResponse
from gateway.services.access import current
from gateway.settings import Settings
from tests.auth.tokens_for_tests import ISSUER, TestIssuer, bearer
from tests.conftest import FHIR_JSON, api_client, make_settings

IDP = TestIssuer.shared()
ROOT = "http://test"
ALL = "system/*.cruds"
PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Smith"}]}

# Paths needing a token, with what would answer them with one (method, URL).
PROTECTED = [
    ("GET", "/Patient/p1"),
    ("HEAD", "/Patient/p1"),
    ("GET", "/Patient"),
    ("POST", "/Patient"),
    ("PUT", "/Patient/p1"),
    ("DELETE", "/Patient/p1"),
    ("GET", "/Patient/p1/_history"),
    ("GET", "/Patient/p1/_history/1"),
    ("GET", "/Patient/p1/Observation"),
    ("GET", "/Patient/p1/$everything"),
    ("GET", "/Observation/$lastn"),
    ("POST", "/Patient/$validate"),
    ("GET", "/"),
    ("POST", "/"),
    ("GET", "/_history"),
    ("GET", "/$export"),
    ("GET", "/Patient/$export"),
    ("GET", "/$export-poll-status/job-1"),
    ("DELETE", "/$export-poll-status/job-1"),
    ("GET", "/$export-file/job-1/Patient.ndjson"),
    ("GET", "/ValueSet/$expand"),
    ("GET", f"{ROOT}/apps"),
    ("GET", f"{ROOT}/apps/toy/schema"),
    ("GET", f"{ROOT}/apps/toy/records?patient=p1"),
    ("POST", f"{ROOT}/apps/toy/records"),
    ("GET", f"{ROOT}/metrics"),
]
PUBLIC = ["/metadata", "/_openapi.json", "/_docs", f"{ROOT}/health"]


@pytest.fixture
async def smart(tmp_path: Path) -> AsyncIterator[AsyncClient]:
    async with IDP.client(tmp_path) as client:
        yield client


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{method} {url.removeprefix(ROOT)}" for method, url in cases]


@pytest.mark.parametrize(("method", "url"), PROTECTED, ids=_ids(PROTECTED))
async def test_no_token_is_401_with_a_bare_challenge(
    smart: AsyncClient, method: str, url: str
) -> None:
    response = await smart.request(
        method, url, content=b"{}" if method in {"POST", "PUT"} else None
    )
    assert response.status_code == 401, response.text
    # RFC 6750 §3.1: no credentials, no error code in the challenge
    assert response.headers["www-authenticate"] == REALM_CHALLENGE
    if method != "HEAD":
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["code"] == "login"


def _stranger_ec() -> jwk.ECKey:
    return jwk.ECKey.generate_key("P-256", parameters={"kid": "test-ec"})


def _past(seconds: int) -> dict[str, Any]:
    now = int(time.time())
    return {"iat": now - seconds - 300, "exp": now - seconds}


BAD_TOKENS: list[Any] = [
    pytest.param(lambda: "not-a-jwt", id="malformed"),
    pytest.param(lambda: "a.b.c", id="three-garbage-parts"),
    pytest.param(lambda: IDP.token(scope=ALL, **_past(3600)), id="expired"),
    pytest.param(lambda: IDP.token(scope=ALL, nbf=int(time.time()) + 3600), id="not-yet-valid"),
    pytest.param(lambda: IDP.token(scope=ALL, iss="https://evil.example"), id="wrong-issuer"),
    pytest.param(lambda: IDP.token(scope=ALL, aud="https://other.example/fhir"), id="wrong-aud"),
    pytest.param(lambda: IDP.token(scope=ALL, iss=None), id="no-issuer"),
    pytest.param(lambda: IDP.token(scope=ALL, exp=None), id="no-expiry"),
    pytest.param(lambda: IDP.unsigned(scope=ALL), id="alg-none"),
    pytest.param(lambda: IDP.hs256(scope=ALL), id="hs256-with-public-key"),
    pytest.param(lambda: IDP.token(scope=ALL, kid="unknown-kid"), id="unknown-kid"),
    pytest.param(lambda: TestIssuer.tampered(IDP.token(scope="patient/*.r")), id="tampered"),
    pytest.param(
        lambda: TestIssuer.sign(_stranger_ec(), "ES256", IDP.claims(scope=ALL)),
        id="stranger-key-claiming-our-kid",
    ),
]


@pytest.mark.parametrize("make_token", BAD_TOKENS)
async def test_a_bad_token_is_401_invalid_token(
    smart: AsyncClient, make_token: Callable[[], str]
) -> None:
    token = make_token()
    for method, url in (("GET", "/Patient/p1"), ("GET", f"{ROOT}/apps")):
        response = await smart.request(method, url, headers=bearer(token))
        assert response.status_code == 401, response.text
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith('Bearer error="invalid_token", error_description="')
        assert token not in challenge
        assert token not in response.text
        assert response.json()["issue"][0]["code"] == "login"


@pytest.mark.parametrize(
    "header",
    [pytest.param("Basic dXNlcjpwYXNz", id="basic"), pytest.param("Bearer", id="bearer-only")],
)
async def test_another_scheme_or_an_empty_bearer_is_401(smart: AsyncClient, header: str) -> None:
    response = await smart.get("/Patient/p1", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def _segment(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(b"Bearer \xff\xfe\xe9", id="latin-1-bytes"),
        pytest.param(b"Bearer " + b"a" * 100_000, id="huge"),
        pytest.param(b"Bearer " + b"." * 50, id="dots"),
        pytest.param(b"Bearer a.b.c.d.e", id="five-parts"),
        pytest.param(
            f"Bearer {_segment(b'[1]')}.{_segment(b'{}')}.".encode(), id="header-not-an-object"
        ),
        pytest.param(
            f"Bearer {_segment(b'{}')}.{_segment(b'{}')}.x".encode(), id="header-without-alg"
        ),
        pytest.param(
            b"Bearer " + _segment(b'{"alg":"RS256","kid":7}').encode() + b".e30.x",
            id="kid-a-number",
        ),
        pytest.param(b"Bearer  \t ", id="blank"),
    ],
)
async def test_a_hostile_header_is_a_401_never_a_500(smart: AsyncClient, value: bytes) -> None:
    response = await smart.get("/Patient/p1", headers=[(b"authorization", value)])
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_a_good_token_among_two_headers_counts_once(smart: AsyncClient) -> None:
    """Two `Authorization` headers: the first is the one read; a bad first is a 401."""
    good = f"Bearer {IDP.token(scope=ALL)}".encode()
    response = await smart.get(
        "/Patient/p1", headers=[(b"authorization", b"Bearer x"), (b"authorization", good)]
    )
    assert response.status_code == 401


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_a_good_token_reaches_the_data(smart: AsyncClient, alg: str) -> None:
    token = IDP.token(scope=ALL, alg=alg)
    created = await smart.put("/Patient/p1", json=PATIENT, headers=bearer(token))
    assert created.status_code == 201, created.text
    read = await smart.get("/Patient/p1", headers=bearer(token))
    assert read.status_code == 200, read.text
    assert read.json()["name"] == PATIENT["name"]
    head = await smart.head("/Patient/p1", headers=bearer(token))
    assert head.status_code == 200


@pytest.mark.parametrize("url", PUBLIC)
async def test_public_endpoints_need_no_token(smart: AsyncClient, url: str) -> None:
    response = await smart.get(url, headers={"Accept": "*/*"})
    assert response.status_code == 200, response.text
    head = await smart.head(url, headers={"Accept": "*/*"}) if url == "/metadata" else response
    assert head.status_code == 200


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/.well-known/smart-configuration"), ("POST", "/auth/token"), ("GET", "/auth/jwks")],
)
async def test_the_smart_endpoints_are_public(smart: AsyncClient, method: str, url: str) -> None:
    """A client needs them to get its first token: whatever they answer, it is not a 401."""
    response = await smart.request(method, url, headers={"Accept": "*/*"})
    assert response.status_code != 401, response.text
    assert "www-authenticate" not in response.headers


async def test_public_endpoints_ignore_a_bad_token(smart: AsyncClient) -> None:
    response = await smart.get("/metadata", headers=bearer("not-a-jwt"))
    assert response.status_code == 200, response.text


# --- the grant reaches the handler, and request.state tells the audit ---------------------


class StateRecorder:
    """An ASGI wrapper keeping each request's scope, to read `scope["state"]` afterwards."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.scopes: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.scopes.append(scope)
        await self.app(scope, receive, send)

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.scopes[-1].get("state", {})
        return state


async def _probe(request: Request) -> Response:
    """What the services see: `current()` and whether it lets them read a Patient."""
    access = current()
    access.restriction("r", "Patient")  # 403 when the token has no such scope
    return FHIRResponse({"patient": access.grant.patient, "bases": list(access.base_urls)})


def _probed(settings: Settings) -> tuple[Any, StateRecorder]:
    app = create_app(settings)
    app.router.routes.insert(0, route("/fhir/_probe", {"GET": _probe}))
    return app, StateRecorder(app)


async def _client(
    settings: Settings,
) -> AsyncIterator[tuple[AsyncClient, StateRecorder]]:
    app, recorder = _probed(settings)
    transport = ASGITransport(app=recorder)
    headers = {"Accept": FHIR_JSON}
    async with (
        LifespanManager(app),
        AsyncClient(transport=transport, base_url=f"{ROOT}/fhir", headers=headers) as client,
    ):
        yield client, recorder


@pytest.fixture
async def probed(tmp_path: Path) -> AsyncIterator[tuple[AsyncClient, StateRecorder]]:
    async for pair in _client(IDP.settings(tmp_path)):
        yield pair


async def test_the_handler_runs_under_the_tokens_grant(
    probed: tuple[AsyncClient, StateRecorder],
) -> None:
    client, recorder = probed
    token = IDP.token(scope="patient/Patient.rs", patient="p1", fhirUser="Practitioner/9")
    response = await client.get("/_probe", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"patient": "p1", "bases": [f"{ROOT}/fhir"]}
    grant = recorder.state["grant"]
    assert isinstance(grant, Grant)
    assert (grant.patient, grant.fhir_user, grant.client_id) == (
        "p1",
        "Practitioner/9",
        "test-client",
    )
    assert "auth_failure" not in recorder.state


async def test_a_token_without_the_scope_is_403_operation_outcome(
    probed: tuple[AsyncClient, StateRecorder],
) -> None:
    client, _ = probed
    token = IDP.token(scope="patient/Observation.rs", patient="p1")
    response = await client.get("/_probe", headers=bearer(token))
    assert response.status_code == 403, response.text
    assert "www-authenticate" not in response.headers
    issue = response.json()["issue"][0]
    assert issue["code"] == "forbidden"
    assert issue["details"]["coding"][0]["code"] == "MSG_AUTH_SCOPE"


async def test_a_failure_is_left_for_the_audit_without_the_token(
    probed: tuple[AsyncClient, StateRecorder],
) -> None:
    client, recorder = probed
    token = IDP.token(scope=ALL, iss="https://evil.example")
    response = await client.get("/_probe", headers=bearer(token))
    assert response.status_code == 401
    failure = recorder.state["auth_failure"]
    assert isinstance(failure, str)
    assert failure
    assert token not in failure
    assert "grant" not in recorder.state
    await client.get("/_probe")
    assert recorder.state["auth_failure"] == (
        "This server needs a SMART on FHIR access token: `Authorization: Bearer <token>`."
    )


async def test_the_grant_does_not_outlive_its_request(
    probed: tuple[AsyncClient, StateRecorder],
) -> None:
    client, _ = probed
    token = IDP.token(scope="patient/Patient.rs", patient="p1")
    assert (await client.get("/_probe", headers=bearer(token))).status_code == 200
    assert current().grant is GRANT_ALL  # the test's own context is untouched


# --- AUTH_MODE=off: nothing changes ---------------------------------------------------------


@pytest.mark.parametrize("auth_mode", ["off", None])
async def test_with_authorization_off_no_token_is_asked_for(auth_mode: str | None) -> None:
    async with api_client(make_settings(auth_mode=auth_mode)) as client:
        created = await client.put("/Patient/p1", json=PATIENT)
        assert created.status_code == 201, created.text
        for headers in ({}, bearer("not-a-jwt"), {"Authorization": "Basic eA=="}):
            response = await client.get("/Patient/p1", headers=headers)
            assert response.status_code == 200, response.text
        apps = await client.get(f"{ROOT}/apps")
        assert apps.status_code == 200


async def test_with_authorization_off_the_handler_is_trusted() -> None:
    async for client, recorder in _client(make_settings(auth_mode="off")):
        response = await client.get("/_probe", headers=bearer(IDP.token(scope="patient/x.r")))
        assert response.status_code == 200
        assert response.json() == {"patient": None, "bases": []}  # TRUSTED: no request grant
        assert "grant" not in recorder.state  # no token asked for: none recorded


async def test_the_token_issuer_is_the_configured_one(tmp_path: Path) -> None:
    """The helper's tokens are accepted only because the settings name ITS issuer."""
    settings = IDP.settings(tmp_path, auth_issuer="https://elsewhere.example")
    assert settings.auth_issuer != ISSUER
    async with api_client(settings) as client:
        response = await client.get("/metadata", headers=bearer(IDP.token(scope=ALL)))
        assert response.status_code == 200
        refused = await client.get("/Patient/p1", headers=bearer(IDP.token(scope=ALL)))
        assert refused.status_code == 401


async def test_a_wrong_method_is_still_405_on_a_public_path(smart: AsyncClient) -> None:
    response = await smart.put("/metadata", content=b"{}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
