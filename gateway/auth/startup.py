"""The start-up rule for authorization settings: what must be set before the gateway serves.

Issue 13: secure by default where data is real. With MONGODB_URI the gateway authorizes
(`smart`) unless AUTH_MODE=off is said explicitly. `smart` needs AUTH_AUDIENCE and at least one
trusted issuer: an external provider (AUTH_ISSUER and exactly one of AUTH_JWKS_URL /
AUTH_JWKS_FILE), the gateway's own token endpoint (AUTH_SIGNING_KEY_FILE), or both. A pure
function of Settings (plus reading the key and clients files it names, so a bad file stops the
start with its problem instead of failing the first token request); the app calls it at start.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gateway.auth.backend_services import own_issuer
from gateway.auth.clients import InvalidClients, load_clients
from gateway.auth.signing import InvalidSigningKey, SigningKey
from gateway.settings import Settings

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def auth_problems(settings: Settings) -> list[str]:
    """Why the gateway must not start with these settings; empty when it may."""
    if settings.effective_auth_mode == "off":
        return []
    signing = settings.auth_signing_key_file is not None
    given = (settings.auth_issuer, settings.auth_audience, settings.auth_jwks_url)
    if (
        settings.auth_mode is None
        and not any(given)
        and settings.auth_jwks_file is None
        and not signing
    ):
        return [
            "MONGODB_URI is set, so authorization is on by default:"
            " set the AUTH_* settings or AUTH_MODE=off explicitly."
        ]
    external = any((settings.auth_issuer, settings.auth_jwks_url, settings.auth_jwks_file))
    problems = []
    if not settings.auth_issuer and (external or not signing):
        problems.append("AUTH_MODE=smart needs AUTH_ISSUER (the tokens' `iss`).")
    if not settings.auth_audience:
        problems.append("AUTH_MODE=smart needs AUTH_AUDIENCE (the tokens' `aud`).")
    if (external or not signing) and bool(settings.auth_jwks_url) == (
        settings.auth_jwks_file is not None
    ):
        problems.append("AUTH_MODE=smart needs exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE.")
    if settings.auth_jwks_url and not _secure(settings.auth_jwks_url):
        problems.append("AUTH_JWKS_URL must be https (http only on localhost).")
    return problems + _own_token_problems(settings)


def _own_token_problems(settings: Settings) -> list[str]:
    """The gateway's token endpoint: a usable key, a distinct issuer, a readable clients file."""
    problems = []
    if settings.auth_clients_file is not None and settings.auth_signing_key_file is None:
        problems.append("AUTH_CLIENTS_FILE needs AUTH_SIGNING_KEY_FILE to sign their tokens.")
    if settings.auth_signing_key_file is not None:
        try:
            SigningKey.from_file(settings.auth_signing_key_file)
        except InvalidSigningKey as error:
            problems.append(f"AUTH_SIGNING_KEY_FILE: {error}")
        issuer = own_issuer(settings)
        if issuer is not None and issuer == settings.auth_issuer:
            problems.append(
                "AUTH_TOKEN_ISSUER (default `{AUTH_AUDIENCE}/auth`) must differ from AUTH_ISSUER."
            )
    if settings.auth_clients_file is not None:
        try:
            load_clients(settings.auth_clients_file)
        except InvalidClients as error:
            problems.append(str(error))
    return problems


def _secure(url: str) -> bool:
    """Keys fetched in clear text could be swapped on the way (SMART: TLS everywhere)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
