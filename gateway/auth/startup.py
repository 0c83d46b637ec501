"""The start-up rule for authorization settings: what must be set before the gateway serves.

Issue 13: secure by default where data is real. With MONGODB_URI the gateway authorizes
(`smart`) unless AUTH_MODE=off is said explicitly; `smart` needs an issuer, an audience and
exactly one key source. A pure function of Settings, so the rule is tested without a server and
Settings itself keeps loading every existing configuration; the app calls it at start.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gateway.settings import Settings

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def auth_problems(settings: Settings) -> list[str]:
    """Why the gateway must not start with these settings; empty when it may."""
    if settings.effective_auth_mode == "off":
        return []
    given = (settings.auth_issuer, settings.auth_audience, settings.auth_jwks_url)
    if settings.auth_mode is None and not any(given) and settings.auth_jwks_file is None:
        return [
            "MONGODB_URI is set, so authorization is on by default:"
            " set the AUTH_* settings or AUTH_MODE=off explicitly."
        ]
    problems = []
    if not settings.auth_issuer:
        problems.append("AUTH_MODE=smart needs AUTH_ISSUER (the tokens' `iss`).")
    if not settings.auth_audience:
        problems.append("AUTH_MODE=smart needs AUTH_AUDIENCE (the tokens' `aud`).")
    if bool(settings.auth_jwks_url) == (settings.auth_jwks_file is not None):
        problems.append("AUTH_MODE=smart needs exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE.")
    if settings.auth_jwks_url and not _secure(settings.auth_jwks_url):
        problems.append("AUTH_JWKS_URL must be https (http only on localhost).")
    return problems


def _secure(url: str) -> bool:
    """Keys fetched in clear text could be swapped on the way (SMART: TLS everywhere)."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
