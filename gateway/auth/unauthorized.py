"""The 401 a resource server answers, with its `WWW-Authenticate` challenge (RFC 6750 §3).

https://www.rfc-editor.org/rfc/rfc6750#section-3 — a request without any credentials gets a
challenge with no error code (§3.1: "the resource server SHOULD NOT include an error code");
a token that is missing its mark gets `error="invalid_token"` and a description for developers.
"""

from __future__ import annotations

import re

from gateway.errors import GatewayError

REALM_CHALLENGE = 'Bearer realm="fhir"'
# RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E — no `"`, no `\`, no controls.
_NOT_ALLOWED = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def _description_value(description: str) -> str:
    return _NOT_ALLOWED.sub("?", description)


class Unauthorized(GatewayError):
    """No usable credentials: 401 with issue `login` and the challenge the client must answer.

    `Unauthorized.missing()` for a request that sent no bearer token at all; otherwise the
    description says what was wrong with the token without ever quoting it.
    """

    status, issue_code = 401, "login"

    def __init__(self, description: str, *, www_authenticate: str | None = None) -> None:
        super().__init__(description, code="MSG_AUTH_REQUIRED")
        self.www_authenticate = www_authenticate or (
            f'Bearer error="invalid_token", error_description="{_description_value(description)}"'
        )

    @classmethod
    def missing(cls) -> Unauthorized:
        """The request carried no bearer token (or another scheme): a bare challenge."""
        return cls(
            "This server needs a SMART on FHIR access token: `Authorization: Bearer <token>`.",
            www_authenticate=REALM_CHALLENGE,
        )

    @property
    def headers(self) -> dict[str, str]:
        """Response headers the error handler adds to the OperationOutcome."""
        return {"WWW-Authenticate": self.www_authenticate}
