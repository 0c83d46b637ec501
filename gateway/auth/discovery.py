"""`[base]/.well-known/smart-configuration`: how a client gets a token for this server.

https://hl7.org/fhir/smart-app-launch/conformance.html#using-well-known and
https://hl7.org/fhir/smart-app-launch/backend-services.html (the example discovery document).
Served whenever AUTH_MODE=smart ("a SMART on FHIR server SHALL" publish it): with a signing key
it names the gateway's own token endpoint (also beside an external provider); with an external
provider alone it names AUTH_TOKEN_ENDPOINT, the provider's. Without that setting the document
still states the capabilities but cannot name a `token_endpoint` (SMART requires one): the
gateway warns at start (gateway.auth.refusal) so the operator sets it.

None (the route answers 404) when AUTH_MODE=off: the server does not authorize, and advertising
a token endpoint would send clients through a flow that changes nothing.

No `issuer`: the conformance page makes it "required if the server's capabilities include
sso-openid-connect; otherwise, omitted", and this server runs no OpenID Connect provider (the
tokens' `iss` is AUTH_TOKEN_ISSUER; gateway.auth.backend_services). `jwks_uri`, optional without
OpenID Connect, is given so resource servers beside us can check our tokens. No
`authorization_endpoint` nor `code_challenge_methods_supported`: they belong to the app launch
flows (launch-ehr, launch-standalone), which this server does not offer.
"""

from __future__ import annotations

from typing import Any

from gateway.auth.assertions import ASSERTION_ALGORITHMS
from gateway.auth.backend_services import JWKS_PATH, TOKEN_PATH, public_base
from gateway.settings import Settings

# What a client may ask for; the registration decides what it gets (gateway.auth.clients).
SCOPES_SUPPORTED = (
    "system/*.cruds",
    "system/*.rs",
    "system/*.cud",
    "system/*.read",
    "system/*.write",
    "system/*.*",
)
CAPABILITIES = ("client-confidential-asymmetric", "permission-v1", "permission-v2")


def smart_configuration(settings: Settings) -> dict[str, Any] | None:
    """The discovery document, or None when AUTH_MODE=off."""
    if settings.effective_auth_mode == "off":
        return None
    base = public_base(settings)
    if settings.auth_signing_key_file is None or base is None:
        return _external(settings)
    return {
        "jwks_uri": base + JWKS_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": list(SCOPES_SUPPORTED),
        "capabilities": list(CAPABILITIES),
    }


def _external(settings: Settings) -> dict[str, Any]:
    """Tokens come from an external provider only: what this server knows of them (the scopes
    it enforces), and the provider's token endpoint when the settings name it."""
    document: dict[str, Any] = {"capabilities": ["permission-v1", "permission-v2"]}
    if settings.auth_token_endpoint:
        document["token_endpoint"] = settings.auth_token_endpoint
    return document
