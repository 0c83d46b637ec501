"""Tokens that must not be accepted, on a sample of endpoints: 401 with a `Bearer` challenge
(`error="invalid_token"` for a presented token), an OperationOutcome, no data, nothing stored.
A request without credentials (no header, another scheme) gets the bare challenge (RFC 6750
§3.1: no error code)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from httpx import AsyncClient
from joserfc import jwk

from tests.auth.matrix.grants import ADMIN
from tests.auth.matrix.harness import ISSUER, bearer, smart_app
from tests.auth.matrix.world import MARK_SYSTEM, A, observation
from tests.auth.tokens_for_tests import TestIssuer

pytestmark = pytest.mark.asyncio(loop_scope="module")
SCOPE = "system/*.* user/*.cruds"  # everything, were the token good
STRANGER = jwk.RSAKey.generate_key(2048, parameters={"kid": "test-rsa"})


def _flip_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    return f"{head}.{payload}.{flipped}"


def _good() -> str:
    return ISSUER.token(scope=SCOPE, patient=A)


NOW = int(time.time())
BAD: dict[str, Callable[[], str]] = {
    "expired": lambda: f"Bearer {ISSUER.token(scope=SCOPE, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)}",
    "not yet valid": lambda: f"Bearer {ISSUER.token(scope=SCOPE, nbf=int(time.time()) + 3600)}",
    "no exp": lambda: f"Bearer {ISSUER.token(scope=SCOPE, exp=None)}",
    "wrong audience": lambda: f"Bearer {ISSUER.token(scope=SCOPE, aud='https://elsewhere.example/fhir')}",
    "wrong issuer": lambda: f"Bearer {ISSUER.token(scope=SCOPE, iss='https://evil.example')}",
    "alg none": lambda: f"Bearer {ISSUER.unsigned(scope=SCOPE)}",
    "HS256 with the public key": lambda: f"Bearer {ISSUER.hs256(scope=SCOPE)}",
    "unknown kid": lambda: f"Bearer {ISSUER.token(scope=SCOPE, kid='nobody')}",
    "stranger's key, known kid": lambda: "Bearer " + TestIssuer.sign(STRANGER, "RS256", ISSUER.claims(scope=SCOPE)),
    "tampered payload": lambda: f"Bearer {TestIssuer.tampered(ISSUER.token(scope='patient/*.rs', patient=A))}",
    "tampered signature": lambda: f"Bearer {_flip_signature(_good())}",
    "garbage": lambda: "Bearer not-a-token",
    "empty bearer": lambda: "Bearer ",
}  # fmt: skip
NO_CREDENTIALS: dict[str, str | None] = {"no header": None, "Basic scheme": "Basic dXNlcjpwYXNz"}

ENDPOINTS: list[tuple[str, str, object]] = [
    ("GET", f"/Patient/{A}", None),
    ("GET", "/Observation", None),
    ("POST", "/Observation", observation(None, A, "laboratory", mark="bad-token")),
    ("POST", "/", {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": observation(None, A, "laboratory", mark="bad-token"),
         "request": {"method": "POST", "url": "Observation"}}]}),
    ("GET", f"/Patient/{A}/$everything", None),
    ("GET", "/_history", None),
    ("GET", "/Observation/$lastn", None),
    ("POST", "/Observation/$validate", observation(None, A, "laboratory")),
    ("GET", "/$export", None),
    ("GET", "http://test/apps", None),
]  # fmt: skip


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncClient]:
    directory: Path = tmp_path_factory.mktemp("matrix-tokens")
    async with smart_app(directory) as client:
        yield client


async def _refused(
    api: AsyncClient, method: str, path: str, json: object, header: str | None
) -> str:
    headers = {"Prefer": "respond-async"} | (
        {"Authorization": header} if header is not None else {}
    )
    response = await api.request(method, path, json=json, headers=headers)
    assert response.status_code == 401, response.text[:300]
    assert response.json()["resourceType"] == "OperationOutcome"
    stored = await api.get(
        "/Observation", params={"identifier": f"{MARK_SYSTEM}|bad-token"}, headers=bearer(ADMIN)
    )
    assert stored.json().get("entry", []) == []
    return str(response.headers.get("www-authenticate", ""))


@pytest.mark.parametrize(
    ("method", "path", "json"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
@pytest.mark.parametrize("kind", list(BAD))
async def test_bad_token_is_401_invalid_token(
    api: AsyncClient, kind: str, method: str, path: str, json: object
) -> None:
    challenge = await _refused(api, method, path, json, BAD[kind]())
    assert challenge.startswith("Bearer"), challenge
    assert 'error="invalid_token"' in challenge, challenge


@pytest.mark.parametrize(
    ("method", "path", "json"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
@pytest.mark.parametrize("kind", list(NO_CREDENTIALS))
async def test_no_credentials_is_401_bare_challenge(
    api: AsyncClient, kind: str, method: str, path: str, json: object
) -> None:
    challenge = await _refused(api, method, path, json, NO_CREDENTIALS[kind])
    assert challenge.startswith("Bearer"), challenge
    assert "error=" not in challenge, challenge


async def test_the_good_token_of_the_same_issuer_is_accepted(api: AsyncClient) -> None:
    """The bad tokens fail for their flaw, not because the issuer is never trusted."""
    response = await api.get(f"/Patient/{A}", headers={"Authorization": f"Bearer {_good()}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/metadata",
        "/.well-known/smart-configuration",
        "http://test/health",
    ],
)
async def test_public_endpoints_answer_without_a_token(api: AsyncClient, path: str) -> None:
    response = await api.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text[:300]
