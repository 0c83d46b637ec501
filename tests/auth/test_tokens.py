"""TokenVerifier: only a correctly signed RS256/ES256 JWT for our issuer and audience passes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.auth.keys import KeySet, parse_key_set
from gateway.auth.tokens import TokenVerifier, bearer_token
from gateway.auth.unauthorized import Unauthorized
from tests.auth.keysets import (
    AUDIENCE,
    ISSUER,
    NOW,
    claims,
    ec,
    hs256_with_public_key,
    jwks,
    rsa,
    sign,
    unsigned,
)

RSA_KEY = rsa("rsa-1")
EC_KEY = ec("ec-1")
SKEW = 60


def verifier(*keys: Any, skew: int = SKEW, now: float = NOW) -> TokenVerifier:
    keyset = KeySet(_never_reload, keys=parse_key_set(jwks(*(keys or (RSA_KEY, EC_KEY)))))
    return TokenVerifier(
        keyset, issuer=ISSUER, audience=AUDIENCE, clock_skew=skew, clock=lambda: now
    )


async def _never_reload() -> Any:
    return jwks(RSA_KEY, EC_KEY)


async def refused(header: str | None, *, v: TokenVerifier | None = None) -> Unauthorized:
    """The 401 for this Authorization header; its description never quotes the token."""
    with pytest.raises(Unauthorized) as caught:
        await (v or verifier()).verify(header)
    error = caught.value
    token = (header or "").split(" ")[-1]
    if len(token) > 8:
        assert token not in error.diagnostics
        assert token not in error.www_authenticate
    return error


async def refused_token(token: str, *, v: TokenVerifier | None = None) -> Unauthorized:
    return await refused(f"Bearer {token}", v=v)


@pytest.mark.parametrize(
    ("key", "alg"), [(RSA_KEY, "RS256"), (EC_KEY, "ES256")], ids=["RS256", "ES256"]
)
async def test_a_valid_token_gives_its_claims(key: Any, alg: str) -> None:
    payload = claims(patient="p-1", scope="patient/*.rs")
    assert await verifier().verify(f"Bearer {sign(key, alg, payload)}") == payload


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
async def test_the_scheme_is_case_insensitive(scheme: str) -> None:
    token = sign(RSA_KEY, "RS256", claims())
    assert (await verifier().verify(f"{scheme} {token}"))["sub"] == "client-7"


@pytest.mark.parametrize(
    ("exp", "passes"),
    [
        pytest.param(NOW + 1, True, id="expires-in-a-second"),
        pytest.param(NOW - SKEW + 1, True, id="expired-within-skew"),
        pytest.param(NOW - SKEW, False, id="expired-at-skew-edge"),
        pytest.param(NOW - 3600, False, id="expired-an-hour-ago"),
    ],
)
async def test_exp_is_allowed_the_clock_skew_and_no_more(exp: int, passes: bool) -> None:
    token = sign(RSA_KEY, "RS256", claims(exp=exp))
    if passes:
        assert (await verifier().verify(f"Bearer {token}"))["exp"] == exp
    else:
        assert (await refused_token(token)).diagnostics == "The token has expired."


@pytest.mark.parametrize(
    ("claim", "offset", "problem"),
    [
        pytest.param("nbf", SKEW, None, id="nbf-at-skew-edge"),
        pytest.param("nbf", SKEW + 1, "The token is not valid yet.", id="nbf-beyond-skew"),
        pytest.param("nbf", 3600, "The token is not valid yet.", id="nbf-in-an-hour"),
        pytest.param("iat", SKEW, None, id="iat-at-skew-edge"),
        pytest.param("iat", SKEW + 1, "The token was issued in the future.", id="iat-beyond-skew"),
    ],
)
async def test_not_before_and_issued_at_may_not_be_in_the_future(
    claim: str, offset: int, problem: str | None
) -> None:
    token = sign(EC_KEY, "ES256", claims(**{claim: NOW + offset}))
    if problem is None:
        assert (await verifier().verify(f"Bearer {token}"))[claim] == NOW + offset
    else:
        assert (await refused_token(token)).diagnostics == problem


async def test_zero_skew_means_exactly_now() -> None:
    token = sign(RSA_KEY, "RS256", claims(exp=NOW + 1, nbf=NOW))
    assert await verifier(skew=0).verify(f"Bearer {token}")
    assert (
        await refused_token(token, v=verifier(skew=0, now=NOW + 1))
    ).diagnostics == "The token has expired."


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        pytest.param(
            {"iss": "https://evil.example"},
            "The token was not issued by this server's issuer.",
            id="wrong-iss",
        ),
        pytest.param(
            {"iss": ISSUER + "/"},
            "The token was not issued by this server's issuer.",
            id="iss-trailing-slash",
        ),
        pytest.param(
            {"aud": "https://other.example/fhir"},
            "The token is not meant for this server (audience).",
            id="wrong-aud",
        ),
        pytest.param(
            {"aud": ["https://a.example", "https://b.example"]},
            "The token is not meant for this server (audience).",
            id="aud-list-without-us",
        ),
        pytest.param({"iss": None}, "The token lacks required claims (iss).", id="no-iss"),
        pytest.param({"aud": None}, "The token lacks required claims (aud).", id="no-aud"),
        pytest.param({"exp": None}, "The token lacks required claims (exp).", id="no-exp"),
        pytest.param(
            {"exp": "tomorrow"}, "The token's expiry is not a valid time.", id="exp-not-a-number"
        ),
    ],
)
async def test_claims_that_do_not_match_are_refused(
    overrides: dict[str, Any], problem: str
) -> None:
    error = await refused_token(sign(RSA_KEY, "RS256", claims(**overrides)))
    assert (error.status, error.diagnostics) == (401, problem)
    assert error.www_authenticate == f'Bearer error="invalid_token", error_description="{problem}"'


async def test_an_audience_list_containing_ours_passes() -> None:
    token = sign(EC_KEY, "ES256", claims(aud=["https://other.example", AUDIENCE]))
    assert (await verifier().verify(f"Bearer {token}"))["aud"] == [
        "https://other.example",
        AUDIENCE,
    ]


async def test_alg_none_is_refused() -> None:
    for header in ({}, {"kid": "rsa-1"}):
        error = await refused_token(unsigned(claims(), **header))
        assert error.diagnostics == "The token's algorithm is not accepted (RS256 or ES256 only)."


async def test_hs256_signed_with_the_public_key_is_refused() -> None:
    error = await refused_token(hs256_with_public_key(RSA_KEY, claims()))
    assert error.diagnostics == "The token's algorithm is not accepted (RS256 or ES256 only)."


async def test_ps256_is_refused_even_with_a_good_rsa_signature() -> None:
    error = await refused_token(sign(RSA_KEY, "PS256", claims()))
    assert error.diagnostics == "The token's algorithm is not accepted (RS256 or ES256 only)."


async def test_the_alg_must_fit_the_key_it_names() -> None:
    """An ES256 header naming the RSA key's kid (and the reverse) finds no key."""
    rs_as_es = sign(EC_KEY, "ES256", claims(), kid="rsa-1")
    es_as_rs = sign(RSA_KEY, "RS256", claims(), kid="ec-1")
    for token in (rs_as_es, es_as_rs):
        error = await refused_token(token)
        assert error.diagnostics == "No key of the issuer matches the token's `kid` and algorithm."


async def test_a_key_declaring_its_alg_is_used_for_that_alg_only() -> None:
    declared = rsa("rsa-declared")
    document = {"keys": [{**declared.as_dict(private=False), "alg": "RS384"}]}
    keyset = KeySet(_never_reload, keys=parse_key_set(document))
    v = TokenVerifier(keyset, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)
    error = await refused_token(sign(declared, "RS256", claims()), v=v)
    assert error.diagnostics == "No key of the issuer matches the token's `kid` and algorithm."


async def test_a_signature_by_another_key_is_refused() -> None:
    impostor = rsa("rsa-1")  # same kid, different key
    error = await refused_token(sign(impostor, "RS256", claims()))
    assert error.diagnostics == "The token's signature does not verify."


def _tamper(token: str, **changes: Any) -> str:
    head, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**payload, **changes}).encode()).rstrip(b"=")
    return f"{head}.{forged.decode()}.{signature}"


@pytest.mark.parametrize(
    ("key", "alg"), [(RSA_KEY, "RS256"), (EC_KEY, "ES256")], ids=["RS256", "ES256"]
)
async def test_a_tampered_payload_is_refused(key: Any, alg: str) -> None:
    token = _tamper(sign(key, alg, claims(scope="patient/*.r")), scope="system/*.*")
    assert (await refused_token(token)).diagnostics == "The token's signature does not verify."


async def test_a_truncated_signature_is_refused() -> None:
    token = sign(RSA_KEY, "RS256", claims())
    assert (
        await refused_token(token[:-10])
    ).diagnostics == "The token's signature does not verify."


async def test_a_kid_that_is_not_a_string_is_refused() -> None:
    head = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": 7}).encode()).rstrip(b"=")
    _, body, signature = sign(RSA_KEY, "RS256", claims()).split(".")
    token = f"{head.decode()}.{body}.{signature}"
    assert (await refused_token(token)).diagnostics == "The token's `kid` is not a string."


async def test_a_payload_that_is_not_a_json_object_is_refused() -> None:
    head, _, _ = sign(RSA_KEY, "RS256", claims()).split(".")
    token = f"{head}.{base64.urlsafe_b64encode(b'[1,2]').rstrip(b'=').decode()}.c2ln"
    assert (await refused_token(token)).status == 401


async def test_no_header_gets_the_bare_challenge() -> None:
    for header in (None, "", "   "):
        error = await refused(header)
        assert error.www_authenticate == 'Bearer realm="fhir"'
        assert "error=" not in error.www_authenticate


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Token abc", "Bearerabc.def.ghi", "JWT a.b.c"]
)
async def test_another_scheme_gets_the_bare_challenge(header: str) -> None:
    assert (await refused(header)).www_authenticate == 'Bearer realm="fhir"'


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        pytest.param(
            "Bearer", "The Authorization header has no token after `Bearer`.", id="no-token"
        ),
        pytest.param(
            "Bearer    ", "The Authorization header has no token after `Bearer`.", id="blank-token"
        ),
        pytest.param(
            "Bearer not-a-jwt",
            "The bearer token is not a JWT (three base64url parts).",
            id="one-part",
        ),
        pytest.param(
            "Bearer a.b.c.d.e",
            "The bearer token is not a JWT (three base64url parts).",
            id="jwe-shape",
        ),
        pytest.param(
            "Bearer a b.c",
            "The bearer token is not a JWT (three base64url parts).",
            id="space-inside",
        ),
        pytest.param(
            'Bearer "x".y.z', "The bearer token is not a JWT (three base64url parts).", id="quotes"
        ),
        pytest.param(
            "Bearer " + "a" * 20_000 + ".b.c",
            "The bearer token is not a JWT (three base64url parts).",
            id="huge",
        ),
        pytest.param(
            "Bearer aaaa.bbbb.cccc",
            "The token is not a well-formed signed JWT.",
            id="not-base64-json",
        ),
    ],
)
async def test_malformed_tokens_are_invalid_token(header: str, problem: str) -> None:
    error = await refused(header)
    assert (error.status, error.issues[0].code, error.diagnostics) == (401, "login", problem)
    assert error.www_authenticate.startswith('Bearer error="invalid_token", error_description=')


@given(st.text(max_size=200))
async def test_any_header_is_a_401_never_a_crash(header: str) -> None:
    with pytest.raises(Unauthorized):
        await verifier().verify(header)


@given(
    st.from_regex(r"[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}", fullmatch=True)
)
async def test_any_jwt_shaped_garbage_is_a_401(token: str) -> None:
    with pytest.raises(Unauthorized):
        await verifier().verify(f"Bearer {token}")


def test_bearer_token_strips_the_scheme_and_spaces() -> None:
    assert bearer_token("  Bearer   a.b.c  ") == "a.b.c"


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        pytest.param(b"[]", "The token is not a well-formed signed JWT.", id="header-array"),
        pytest.param(b"null", "The token is not a well-formed signed JWT.", id="header-null"),
        pytest.param(
            b'{"alg":"RS256"}\xff',
            "The token is not a well-formed signed JWT.",
            id="header-not-utf8",
        ),
        pytest.param(
            b'{"kid":"rsa-1"}',
            "The token is not a well-formed signed JWT.",
            id="no-alg",
        ),
        pytest.param(
            b'{"alg":["RS256"]}',
            "The token's algorithm is not accepted (RS256 or ES256 only).",
            id="alg-list",
        ),
        pytest.param(
            b'{"alg":"rs256"}',
            "The token's algorithm is not accepted (RS256 or ES256 only).",
            id="alg-lowercase",
        ),
        pytest.param(
            b'{"alg":"RS256","kid":"rsa-1","crit":["exp"]}',
            "The token is not a well-formed signed JWT.",
            id="unknown-crit",
        ),
    ],
)
async def test_a_header_we_cannot_trust_is_refused(header: bytes, problem: str) -> None:
    token = f"{_segment(header)}.{_segment(json.dumps(claims()).encode())}.c2lnbmF0dXJl"
    assert (await refused_token(token)).diagnostics == problem
