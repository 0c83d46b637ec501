"""KeySet: keys from a JWKS URL or file, reloaded once (rate-limited) when a token names a new kid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwk

from gateway.auth.keys import InvalidKeySet, KeySet, parse_key_set
from gateway.auth.tokens import TokenVerifier
from gateway.auth.unauthorized import Unauthorized
from gateway.settings import Settings
from tests.auth.keysets import AUDIENCE, ISSUER, NOW, JwksServer, claims, ec, jwks, rsa, sign

URL = "https://idp.example.org/.well-known/jwks.json"
UNKNOWN_KID = "No key of the issuer matches the token's `kid` and algorithm."


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def url_keyset(server: JwksServer, clock: Clock) -> KeySet:
    return KeySet.from_url(URL, transport=server.transport, min_refresh_seconds=60, clock=clock)


def bearer(key: Any, alg: str = "RS256", **header: Any) -> str:
    return f"Bearer {sign(key, alg, claims(), **header)}"


def tokens(keys: KeySet) -> TokenVerifier:
    return TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)


async def test_the_url_is_fetched_on_first_use_then_cached() -> None:
    key, clock = rsa("r1"), Clock()
    server = JwksServer(jwks(key))
    keys = url_keyset(server, clock)
    assert server.fetches == 0  # no network at start-up
    for _ in range(3):
        assert (await tokens(keys).verify(bearer(key)))["sub"] == "client-7"
    assert server.fetches == 1


async def test_an_unknown_kid_reloads_once_then_is_refused() -> None:
    known, stranger, clock = rsa("r1"), rsa("r2"), Clock()
    server = JwksServer(jwks(known))
    keys = url_keyset(server, clock)
    await keys.key_for("r1", "RS256")
    clock.now = 120
    with pytest.raises(Unauthorized) as caught:
        await tokens(keys).verify(bearer(stranger))
    assert caught.value.diagnostics == UNKNOWN_KID
    assert server.fetches == 2


async def test_unknown_kids_reload_at_most_once_per_interval() -> None:
    known, clock = rsa("r1"), Clock()
    server = JwksServer(jwks(known))
    keys = url_keyset(server, clock)
    await keys.key_for("r1", "RS256")
    clock.now = 100
    for kid in ("x1", "x2", "x3"):
        with pytest.raises(Unauthorized):
            await keys.key_for(kid, "RS256")
    assert server.fetches == 2
    clock.now = 161
    with pytest.raises(Unauthorized):
        await keys.key_for("x4", "RS256")
    assert server.fetches == 3


async def test_a_rotated_key_is_picked_up_on_reload() -> None:
    old, new, clock = rsa("2026-01"), ec("2026-07"), Clock()
    server = JwksServer(jwks(old))
    keys = url_keyset(server, clock)
    assert await tokens(keys).verify(bearer(old))
    server.document = jwks(old, new)  # the issuer publishes the next key
    clock.now = 61
    assert (await tokens(keys).verify(bearer(new, "ES256")))["iss"] == ISSUER
    assert server.fetches == 2


async def test_a_failed_reload_keeps_the_keys_we_had() -> None:
    key, clock = rsa("r1"), Clock()
    server = JwksServer(jwks(key))
    keys = url_keyset(server, clock)
    await keys.key_for("r1", "RS256")
    server.document = None  # 503
    clock.now = 61
    with pytest.raises(Unauthorized):
        await keys.key_for("new", "RS256")
    assert await tokens(keys).verify(bearer(key))


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(None, id="http-503"),
        pytest.param({"not": "a jwks"}, id="not-a-jwks"),
        pytest.param({"keys": [{"kty": "RSA", "n": "!!"}]}, id="broken-key"),
    ],
)
async def test_keys_that_cannot_be_fetched_give_a_401(answer: Any) -> None:
    server, clock = JwksServer(answer), Clock()
    keys = url_keyset(server, clock)
    for _ in range(2):  # the second try within the interval does not fetch again
        with pytest.raises(Unauthorized) as caught:
            await keys.key_for("r1", "RS256")
        assert caught.value.diagnostics == "The issuer's keys are unavailable; try again later."
    assert server.fetches == 1


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("refused"),
    ],
    ids=["connect-timeout", "read-timeout", "refused"],
)
async def test_an_unreachable_url_gives_a_401(error: httpx.TransportError) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    keys = KeySet.from_url(URL, transport=httpx.MockTransport(fail))
    with pytest.raises(Unauthorized):
        await keys.key_for("r1", "RS256")


async def test_without_a_kid_the_one_fitting_key_is_used() -> None:
    only_rsa, only_ec = rsa("r1"), ec("e1")
    keys = KeySet(_unused, keys=parse_key_set(jwks(only_rsa, only_ec)))
    assert (await keys.key_for(None, "ES256")).kid == "e1"
    assert (await keys.key_for(None, "RS256")).kid == "r1"
    assert await tokens(keys).verify(bearer(only_ec, "ES256", kid=None))


async def test_without_a_kid_two_fitting_keys_are_ambiguous() -> None:
    keys = KeySet(_unused, keys=parse_key_set(jwks(rsa("r1"), rsa("r2"))), min_refresh_seconds=60)
    with pytest.raises(Unauthorized) as caught:
        await keys.key_for(None, "RS256")
    assert caught.value.diagnostics == UNKNOWN_KID


async def test_symmetric_keys_in_the_set_are_never_used() -> None:
    document = {"keys": [{"kty": "oct", "kid": "s1", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"}]}
    keys = KeySet(_unused, keys=parse_key_set(document))
    for alg in ("RS256", "ES256", "HS256"):
        with pytest.raises(Unauthorized):
            await keys.key_for("s1", alg)


async def test_a_key_for_encryption_is_not_used_to_verify() -> None:
    key = rsa("enc")
    document = {"keys": [{**key.as_dict(private=False), "use": "enc"}]}
    keys = KeySet(_unused, keys=parse_key_set(document))
    with pytest.raises(Unauthorized):
        await keys.key_for("enc", "RS256")


async def _unused() -> Any:
    return {"keys": []}


async def test_a_jwks_file_is_read_at_start_and_reloaded_on_an_unknown_kid(tmp_path: Path) -> None:
    old, new, clock = ec("e-old"), ec("e-new"), Clock()
    path = tmp_path / "jwks.json"
    path.write_bytes(orjson.dumps(jwks(old)))
    keys = KeySet.from_file(path, min_refresh_seconds=60, clock=clock)
    path.write_bytes(orjson.dumps(jwks(old, new)))
    clock.now = 61
    assert (await keys.key_for("e-new", "ES256")).kid == "e-new"
    path.write_text("{ truncated")  # a bad rewrite later keeps the keys we had
    clock.now = 200
    assert (await keys.key_for("e-old", "ES256")).kid == "e-old"
    with pytest.raises(Unauthorized):
        await keys.key_for("e-other", "ES256")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"[]", id="an-array"),
        pytest.param(b'{"keys": {}}', id="keys-not-a-list"),
        pytest.param(b'{"keys": [{"kty": "EC", "crv": "P-256"}]}', id="incomplete-key"),
    ],
)
def test_a_jwks_file_that_does_not_parse_stops_the_start(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(content)
    with pytest.raises(InvalidKeySet):
        KeySet.from_file(path)


def test_a_missing_jwks_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(InvalidKeySet, match="cannot be read"):
        KeySet.from_file(tmp_path / "absent.json")


def test_from_settings_picks_the_configured_source(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(orjson.dumps(jwks(rsa("r1"))))
    assert KeySet.from_settings(Settings(mongodb_uri=None)) is None
    assert isinstance(KeySet.from_settings(Settings(auth_jwks_file=path)), KeySet)
    assert isinstance(KeySet.from_settings(Settings(auth_jwks_url=URL)), KeySet)


async def test_es256_needs_a_p256_key() -> None:
    p384 = jwk.ECKey.generate_key("P-384", parameters={"kid": "p384"})
    keys = KeySet(_unused, keys=parse_key_set(jwks(p384)))
    with pytest.raises(Unauthorized):
        await keys.key_for("p384", "ES256")
