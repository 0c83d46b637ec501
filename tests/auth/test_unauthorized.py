"""Unauthorized: a 401 `login` outcome carrying the RFC 6750 §3 challenge."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from gateway.auth.unauthorized import Unauthorized

# RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E )
_CHALLENGE = re.compile(
    r'Bearer error="invalid_token", error_description="[\x20\x21\x23-\x5b\x5d-\x7e]*"'
)


def test_a_request_without_credentials_gets_a_bare_challenge() -> None:
    error = Unauthorized.missing()
    assert (error.status, error.issues[0].code) == (401, "login")
    assert error.headers == {"WWW-Authenticate": 'Bearer realm="fhir"'}


def test_a_bad_token_gets_invalid_token_with_its_description() -> None:
    error = Unauthorized("The token has expired.")
    assert error.headers == {
        "WWW-Authenticate": 'Bearer error="invalid_token", error_description="The token has expired."'
    }
    assert error.diagnostics == "The token has expired."


@given(st.text())
def test_the_challenge_is_always_a_valid_header_value(description: str) -> None:
    assert _CHALLENGE.fullmatch(Unauthorized(description).www_authenticate)
