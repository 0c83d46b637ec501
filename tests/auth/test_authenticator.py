"""The Authenticator: the external issuer and the gateway's own side by side, picked by `iss`;
the cache of verified grants (hits, expiry on a hit, failures never cached)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from joserfc import jwk

from gateway.auth.authenticator import Authenticator
from gateway.auth.backend_services import TokenMinter
from gateway.auth.grant import GRANT_ALL
from gateway.auth.keys import KeySet, parse_key_set
from gateway.auth.signing import SigningKey
from gateway.auth.token_cache import TokenCache
from gateway.auth.tokens import TokenVerifier
from gateway.auth.unauthorized import Unauthorized
from gateway.settings import Settings
from tests.auth.keysets import AUDIENCE, ISSUER, NOW, claims, ec, jwks, rsa, sign

OWN_ISSUER = f"{AUDIENCE}/auth"


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingVerifier(TokenVerifier):
    """A real verifier that counts the verifications it runs."""

    calls = 0

    async def verify(self, authorization: str | None) -> dict[str, Any]:
        self.calls += 1
        return await super().verify(authorization)


def _static(document: dict[str, Any]) -> KeySet:
    async def same() -> Any:
        return document

    return KeySet(same, keys=parse_key_set(document))


@pytest.fixture
def gateway_key(tmp_path: Path) -> Path:
    path = tmp_path / "signing.json"
    path.write_bytes(orjson.dumps(rsa("own-1").as_dict(private=True)))
    return path


def _settings(tmp_path: Path, gateway_key: Path | None, external: jwk.Key | None) -> Settings:
    values: dict[str, Any] = {
        "mongodb_uri": None,
        "auth_mode": "smart",
        "auth_audience": AUDIENCE,
        "auth_signing_key_file": gateway_key,
    }
    if external is not None:
        (tmp_path / "idp.json").write_bytes(orjson.dumps(jwks(external)))
        values |= {"auth_issuer": ISSUER, "auth_jwks_file": tmp_path / "idp.json"}
    return Settings(**values)


def _own_token(gateway_key: Path, *, now: float = NOW, **extra: Any) -> str:
    minter = TokenMinter(SigningKey.from_file(gateway_key), OWN_ISSUER, AUDIENCE)
    return minter.mint(client_id="backend", scope="system/*.rs", lifetime=300, now=now, **extra)


async def test_external_and_own_tokens_work_side_by_side(tmp_path: Path, gateway_key: Path) -> None:
    external = ec("idp-1")
    clock = Clock()
    authenticator = Authenticator.from_settings(
        _settings(tmp_path, gateway_key, external), clock=clock
    )
    theirs = sign(external, "ES256", claims(scope="patient/*.rs", patient="p1"))
    ours = _own_token(gateway_key, patient="p2", fhir_user="Practitioner/1")
    their_grant = await authenticator.grant_for(f"Bearer {theirs}")
    our_grant = await authenticator.grant_for(f"Bearer {ours}")
    assert (their_grant.patient, their_grant.subject) == ("p1", "client-7")
    assert (our_grant.patient, our_grant.client_id, our_grant.fhir_user) == (
        "p2",
        "backend",
        "Practitioner/1",
    )


async def test_own_key_cannot_sign_for_the_external_issuer(
    tmp_path: Path, gateway_key: Path
) -> None:
    """`iss` picks the verifier, and that verifier holds only its issuer's keys."""
    authenticator = Authenticator.from_settings(
        _settings(tmp_path, gateway_key, ec("idp-1")), clock=Clock()
    )
    forged = TokenMinter(SigningKey.from_file(gateway_key), ISSUER, AUDIENCE).mint(
        client_id="x", scope="system/*.*", lifetime=300, now=NOW
    )
    with pytest.raises(Unauthorized, match="No key of the issuer"):
        await authenticator.grant_for(f"Bearer {forged}")


@pytest.mark.parametrize(
    "issuer", ["https://unknown.example", None, 7], ids=["unknown", "absent", "not-a-string"]
)
async def test_an_untrusted_issuer_is_401(tmp_path: Path, gateway_key: Path, issuer: Any) -> None:
    authenticator = Authenticator.from_settings(
        _settings(tmp_path, gateway_key, None), clock=Clock()
    )
    key = rsa("own-1")
    token = sign(
        key, "RS256", {**claims(), "iss": issuer} if issuer is not None else claims(iss=None)
    )
    with pytest.raises(Unauthorized, match="not issued by an issuer this server trusts") as caught:
        await authenticator.grant_for(f"Bearer {token}")
    assert 'error="invalid_token"' in caught.value.headers["WWW-Authenticate"]


async def test_own_tokens_alone_are_enough(tmp_path: Path, gateway_key: Path) -> None:
    authenticator = Authenticator.from_settings(
        _settings(tmp_path, gateway_key, None), clock=Clock()
    )
    grant = await authenticator.grant_for(f"Bearer {_own_token(gateway_key)}")
    assert grant.allows("s", "Observation")
    assert not grant.allows("c", "Observation")
    assert authenticator.enforcing


async def test_auth_off_grants_everything_without_a_token(tmp_path: Path) -> None:
    authenticator = Authenticator.from_settings(Settings(mongodb_uri=None))
    assert await authenticator.grant_for(None) is GRANT_ALL
    assert not authenticator.enforcing


def _cached(
    gateway_key: Path, clock: Clock, *, capacity: int = 4096
) -> tuple[Authenticator, CountingVerifier]:
    key = SigningKey.from_file(gateway_key)
    verifier = CountingVerifier(
        _static(key.public_jwks()), issuer=OWN_ISSUER, audience=AUDIENCE, clock_skew=60, clock=clock
    )
    cache = TokenCache(capacity=capacity, clock_skew=60, clock=clock)
    return Authenticator({OWN_ISSUER: verifier}, cache=cache), verifier


async def test_a_verified_token_is_served_from_the_cache(gateway_key: Path) -> None:
    clock = Clock()
    authenticator, verifier = _cached(gateway_key, clock)
    header = f"Bearer {_own_token(gateway_key)}"
    first = await authenticator.grant_for(header)
    second = await authenticator.grant_for(header)
    assert second == first
    assert verifier.calls == 1


async def test_expiry_is_honoured_on_a_cache_hit(gateway_key: Path) -> None:
    clock = Clock()
    authenticator, verifier = _cached(gateway_key, clock)
    header = f"Bearer {_own_token(gateway_key)}"  # exp = NOW + 300
    await authenticator.grant_for(header)
    clock.now = NOW + 300 + 59  # within the skew: still valid, from the cache
    await authenticator.grant_for(header)
    assert verifier.calls == 1
    clock.now = NOW + 300 + 60  # the verifier's rule: expired at exp + skew
    with pytest.raises(Unauthorized, match="expired"):
        await authenticator.grant_for(header)
    assert verifier.calls == 2


async def test_a_failed_verification_is_never_cached(tmp_path: Path) -> None:
    """A token refused because the keys were not there yet is checked again, and then accepted."""
    clock = Clock()
    issuer_key = ec("late")
    served: dict[str, Any] = {"keys": []}

    async def load() -> Any:
        return served

    verifier = CountingVerifier(
        KeySet(load, min_refresh_seconds=0), issuer=ISSUER, audience=AUDIENCE, clock=clock
    )
    authenticator = Authenticator({ISSUER: verifier}, cache=TokenCache(clock=clock))
    header = f"Bearer {sign(issuer_key, 'ES256', claims())}"
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await authenticator.grant_for(header)
    served["keys"] = jwks(issuer_key)["keys"]
    grant = await authenticator.grant_for(header)
    assert grant.subject == "client-7"
    assert verifier.calls == 3


async def test_a_tampered_copy_of_a_cached_token_is_verified_and_refused(gateway_key: Path) -> None:
    clock = Clock()
    authenticator, verifier = _cached(gateway_key, clock)
    token = _own_token(gateway_key)
    await authenticator.grant_for(f"Bearer {token}")
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    tampered = f"{head}.{payload}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"
    with pytest.raises(Unauthorized, match="signature"):
        await authenticator.grant_for(f"Bearer {tampered}")
    assert verifier.calls == 2


async def test_the_cache_is_bounded_least_recently_used_first(gateway_key: Path) -> None:
    clock = Clock()
    authenticator, verifier = _cached(gateway_key, clock, capacity=2)
    a, b, c = (f"Bearer {_own_token(gateway_key)}" for _ in range(3))
    for header in (a, b, a, c):  # c evicts b, the least recently used
        await authenticator.grant_for(header)
    assert verifier.calls == 3
    await authenticator.grant_for(a)
    assert verifier.calls == 3
    await authenticator.grant_for(b)
    assert verifier.calls == 4


def test_the_external_issuer_must_differ_from_ours(tmp_path: Path, gateway_key: Path) -> None:
    settings = _settings(tmp_path, gateway_key, ec()).model_copy(
        update={"auth_token_issuer": ISSUER}
    )
    with pytest.raises(ValueError, match="must differ"):
        Authenticator.from_settings(settings)
