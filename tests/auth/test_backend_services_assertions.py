"""Client assertions checked directly: a client registered by `jwks_url` (fetched, rotated),
the clock rules with a fixed clock, and the bounded replay guard."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from joserfc import jwk, jwt

from gateway.auth.assertions import AssertionVerifier, ReplayGuard
from gateway.auth.clients import parse_clients
from gateway.auth.oauth_errors import OAuthError
from tests.auth.keysets import NOW, JwksServer, jwks

TOKEN_URL = "https://fhir.example.org/fhir/auth/token"


class Clock:
    def __init__(self) -> None:
        self.now: float = NOW

    def __call__(self) -> float:
        return self.now


def assertion(key: jwk.Key, alg: str = "ES384", **overrides: Any) -> str:
    claims = {"iss": "ehr", "sub": "ehr", "aud": TOKEN_URL, "exp": NOW + 300, "jti": "j-1"}
    claims = {k: v for k, v in {**claims, **overrides}.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def verifier_for(
    server: JwksServer, clock: Clock, *, replay: ReplayGuard | None = None
) -> AssertionVerifier:
    registration = {
        "client_id": "ehr",
        "jwks_url": "https://ehr.example/jwks",
        "scope": "system/*.rs",
    }
    clients = parse_clients({"clients": [registration]}, transport=server.transport)
    return AssertionVerifier(clients, token_url=TOKEN_URL, clock=clock, replay=replay)


async def test_a_client_registered_by_jwks_url_is_fetched_and_rotates() -> None:
    first = jwk.ECKey.generate_key("P-384", parameters={"kid": "k1"})
    server = JwksServer(jwks(first))
    verifier = verifier_for(server, Clock())
    assert (await verifier.client_of(assertion(first))).client_id == "ehr"
    assert server.fetches == 1
    rotated = jwk.RSAKey.generate_key(2048, parameters={"kid": "k2"})
    server.document = jwks(first, rotated)
    # an unknown kid reloads at most once a minute: the first load was just now
    with pytest.raises(OAuthError, match="No registered key"):
        await verifier.client_of(assertion(rotated, "RS384", jti="j-2"))
    assert server.fetches == 1


async def test_an_unreachable_jwks_url_is_invalid_client_not_a_500() -> None:
    server = JwksServer(jwks(jwk.ECKey.generate_key("P-384")))
    server.document = None  # 503
    key = jwk.ECKey.generate_key("P-384", parameters={"kid": "k1"})
    with pytest.raises(OAuthError) as caught:
        await verifier_for(server, Clock()).client_of(assertion(key))
    assert (caught.value.error, caught.value.status) == ("invalid_client", 401)


@pytest.mark.parametrize(
    ("shift", "exp", "refused"),
    [
        pytest.param(0, NOW + 300, None, id="five-minutes-ahead"),
        pytest.param(0, NOW + 300 + 61, "more than five minutes", id="over-five-minutes"),
        pytest.param(0, NOW - 59, None, id="expired-within-skew"),
        pytest.param(0, NOW - 60, "expired", id="expired-at-skew"),
        pytest.param(-400, NOW, "more than five minutes", id="clock-behind"),
    ],
)
async def test_expiry_rules(shift: int, exp: int, refused: str | None) -> None:
    key = jwk.ECKey.generate_key("P-384", parameters={"kid": "k1"})
    clock = Clock()
    clock.now = NOW + shift
    verifier = verifier_for(JwksServer(jwks(key)), clock)
    if refused is None:
        assert (await verifier.client_of(assertion(key, exp=exp))).client_id == "ehr"
        return
    with pytest.raises(OAuthError, match=refused):
        await verifier.client_of(assertion(key, exp=exp))


async def test_a_non_string_iss_is_no_client() -> None:
    key = jwk.ECKey.generate_key("P-384", parameters={"kid": "k1"})
    verifier = verifier_for(JwksServer(jwks(key)), Clock())
    with pytest.raises(OAuthError, match="not a registered client"):
        await verifier.client_of(assertion(key, iss=["ehr"]))


def test_the_replay_guard_remembers_until_expiry_and_is_bounded() -> None:
    guard = ReplayGuard(capacity=2)
    guard.remember("c", "a", expires=NOW + 10, now=NOW)
    with pytest.raises(OAuthError, match="used already"):
        guard.remember("c", "a", expires=NOW + 10, now=NOW + 5)
    guard.remember("other", "a", expires=NOW + 10, now=NOW)  # jti is per client
    with pytest.raises(OAuthError) as full:
        guard.remember("c", "b", expires=NOW + 10, now=NOW + 1)
    assert (full.value.error, full.value.status) == ("temporarily_unavailable", 503)
    guard.remember("c", "b", expires=NOW + 30, now=NOW + 11)  # both earlier ones expired
    guard.remember("c", "a", expires=NOW + 30, now=NOW + 11)  # so `a` may be seen again


def _b64(value: object) -> str:
    raw = value if isinstance(value, bytes) else orjson.dumps(value)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


ES384_HEAD = _b64({"alg": "ES384", "kid": "k1"})
HUGE_EXP = _b64(b'{"iss": "ehr", "exp": 1e400}')


@pytest.mark.parametrize(
    "hostile",
    [
        pytest.param("", id="empty"),
        pytest.param("..", id="dots"),
        pytest.param("a.b.c.d.e", id="five-parts"),
        pytest.param("é.é.é", id="not-ascii"),
        pytest.param(f"{_b64([1])}.{_b64({'iss': 'ehr'})}.AAAA", id="header-array"),
        pytest.param(f"{ES384_HEAD}.{_b64([1])}.AAAA", id="claims-array"),
        pytest.param(f"{ES384_HEAD}.{_b64(b'not json')}.AAAA", id="claims-not-json"),
        pytest.param(f"{ES384_HEAD}.{HUGE_EXP}.AAAA", id="huge-number"),
        pytest.param(f"{_b64({'alg': ['ES384']})}.{_b64({'iss': 'ehr'})}.AA", id="alg-list"),
        pytest.param(f"{_b64({'alg': 'ES384', 'kid': 7})}.{_b64({'iss': 'ehr'})}.AA", id="kid-int"),
        pytest.param(f"{ES384_HEAD}.{_b64({'iss': 'ehr'})}.!!", id="signature-not-b64"),
        pytest.param(
            f"{_b64({'alg': 'ES384', 'kid': 'k1', 'crit': ['x']})}.{_b64({'iss': 'ehr'})}.AAAA",
            id="unknown-crit",
        ),
        pytest.param("x" * 20_000, id="too-long"),
    ],
)
async def test_hostile_assertions_are_invalid_client_never_a_crash(hostile: str) -> None:
    key = jwk.ECKey.generate_key("P-384", parameters={"kid": "k1"})
    verifier = verifier_for(JwksServer(jwks(key)), Clock())
    with pytest.raises(OAuthError) as caught:
        await verifier.client_of(hostile)
    assert (caught.value.error, caught.value.status) == ("invalid_client", 401)
