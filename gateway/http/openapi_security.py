"""The OpenAPI document's security with AUTH_MODE=smart: a bearer JWT on every operation but
the public ones (OpenAPI 3.1 "Security Scheme Object"; the tokens are SMART on FHIR's).

Only the description changes: gateway.http.methods enforces, this tells Swagger UI and client
generators to send `Authorization: Bearer`.
"""

from __future__ import annotations

from gateway.http.openapi_public import PUBLIC_PATHS
from gateway.jsonio import Json

SCHEME = "smart"
# Documented operations answered without a token (gateway.http.routes.table.public_paths and
# the SMART endpoints and probes, gateway.http.openapi_public), as the document names them.
PUBLIC = frozenset({"/metadata", *PUBLIC_PATHS})


def add_bearer(document: Json) -> Json:
    """`document` requiring the SMART bearer token, except on the public paths."""
    document.setdefault("components", {})["securitySchemes"] = {
        SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A SMART on FHIR access token (RS256 or ES256) from the issuer"
            " this gateway trusts; its scopes decide what it may read and write.",
        }
    }
    document["security"] = [{SCHEME: []}]
    for path in PUBLIC & document.get("paths", {}).keys():
        for operation in document["paths"][path].values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["security"] = []  # OpenAPI: an empty list lifts the requirement
    return document
