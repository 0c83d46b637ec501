"""The token endpoint's errors: RFC 6749 §5.2 JSON, not FHIR OperationOutcomes.

https://www.rfc-editor.org/rfc/rfc6749#section-5.2: the token endpoint is OAuth, so a client
library expects `{"error": "<code>", "error_description": "..."}` with status 400 (401 for
`invalid_client`). Deliberately not a `GatewayError`: the FHIR error handler never sees it.
Descriptions never quote the assertion or any key.
"""

from __future__ import annotations

from typing import Literal

OAuthErrorCode = Literal[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "temporarily_unavailable",
]


class OAuthError(Exception):
    """One RFC 6749 error answer; `status` defaults by code (401 for invalid_client)."""

    def __init__(
        self, error: OAuthErrorCode, description: str, *, status: int | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status or (401 if error == "invalid_client" else 400)

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}
