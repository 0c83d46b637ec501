"""Backend Services clients registered in `AUTH_CLIENTS_FILE`, and what each may be granted.

https://hl7.org/fhir/smart-app-launch/backend-services.html#registering-a-client-communicating-public-keys:
a client registers its public keys once, either as a JWKS (`jwks`) or a JWKS URL (`jwks_url`,
fetched through gateway.auth.keys.KeySet: cached, refreshed on an unknown `kid`), and the
server decides the scopes it may ever get (`scope`). File shape:
`{"clients": [{"client_id": "...", "jwks": {...} | "jwks_url": "https://...", "scope": "..."}]}`.

A file that does not parse, a duplicate client id, a private key in a `jwks` or a clear-text
`jwks_url` stop the start (`InvalidClients`): a typo must not become a client that cannot log in
or, worse, one trusted with a key that is not its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from gateway.auth.keys import InvalidKeySet, KeySet, parse_key_set
from gateway.auth.scopes import Scope, parse_scope, parse_scopes

_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


class InvalidClients(ValueError):
    """AUTH_CLIENTS_FILE cannot be used: stop at start-up."""


@dataclass(frozen=True, slots=True)
class Client:
    """A registered client: its id, the keys its assertions are signed with, its scope ceiling."""

    client_id: str
    keys: KeySet
    scopes: tuple[Scope, ...]


def load_clients(
    path: Path, *, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Client]:
    """The clients of `path` by id; `InvalidClients` when the file cannot be used.

    `transport`: how `jwks_url`s are fetched (tests answer with httpx.MockTransport).
    """
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as error:
        raise InvalidClients(
            f"AUTH_CLIENTS_FILE `{path}` cannot be read: {error.strerror}."
        ) from error
    except orjson.JSONDecodeError as error:
        raise InvalidClients(f"AUTH_CLIENTS_FILE `{path}` is not valid JSON: {error}.") from error
    return parse_clients(document, transport=transport)


def parse_clients(
    document: Any, *, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Client]:
    """`{"clients": [...]}` -> clients by id (see the module docstring)."""
    if not isinstance(document, dict) or not isinstance(document.get("clients"), list):
        raise InvalidClients('AUTH_CLIENTS_FILE must be a JSON object with a "clients" array.')
    clients: dict[str, Client] = {}
    for index, entry in enumerate(document["clients"]):
        client = _client(entry, where=f"clients[{index}]", transport=transport)
        if client.client_id in clients:
            raise InvalidClients(f"Client `{client.client_id}` is registered twice.")
        clients[client.client_id] = client
    return clients


def _client(entry: Any, *, where: str, transport: httpx.AsyncBaseTransport | None) -> Client:
    if not isinstance(entry, dict):
        raise InvalidClients(f"{where} is not a JSON object.")
    client_id, scope = entry.get("client_id"), entry.get("scope")
    if not isinstance(client_id, str) or not client_id.strip():
        raise InvalidClients(f"{where} has no `client_id` string.")
    if not isinstance(scope, str):
        raise InvalidClients(f"Client `{client_id}` has no `scope` string.")
    return Client(client_id, _keys(entry, client_id, transport), parse_scopes(scope))


def _keys(
    entry: Mapping[str, Any], client_id: str, transport: httpx.AsyncBaseTransport | None
) -> KeySet:
    jwks, jwks_url = entry.get("jwks"), entry.get("jwks_url")
    if (jwks is None) == (jwks_url is None):
        raise InvalidClients(f"Client `{client_id}` needs exactly one of `jwks` and `jwks_url`.")
    if jwks_url is not None:
        if not isinstance(jwks_url, str) or not _secure(jwks_url):
            raise InvalidClients(
                f"Client `{client_id}`: `jwks_url` must be an https URL (http only on localhost)."
            )
        return KeySet.from_url(jwks_url, transport=transport)
    if isinstance(jwks, dict) and any(
        isinstance(key, dict) and _PRIVATE_MEMBERS & key.keys() for key in jwks.get("keys", ())
    ):
        raise InvalidClients(f"Client `{client_id}`: `jwks` must hold public keys only.")
    try:
        keys = parse_key_set(jwks)
    except InvalidKeySet as error:
        raise InvalidClients(f"Client `{client_id}`: {error}") from error

    async def unchanged() -> Any:
        return jwks  # a registered JWKS changes only with the file (and a restart)

    return KeySet(unchanged, keys=keys)


def _secure(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)


def granted_scopes(requested: str, registered: tuple[Scope, ...]) -> list[str]:
    """The requested scope tokens, as written, that some registered scope contains.

    RFC 6749 §3.3: the server may grant less than asked and says what it granted. A requested
    scope is within a registered one when the context is the same, the registered type is it or
    `*`, its letters are a subset, and every query pair the registration imposes is also in the
    request (a v2 `?category=laboratory` request fits an unrestricted registration, never the
    reverse). Tokens that are not resource scopes are dropped: they would grant nothing.
    """
    granted: dict[str, None] = {}
    for token in requested.split():
        scope = parse_scope(token)
        if scope is not None and any(_within(scope, ceiling) for ceiling in registered):
            granted.setdefault(token, None)
    return list(granted)


def _within(scope: Scope, ceiling: Scope) -> bool:
    return (
        scope.context == ceiling.context
        and ceiling.resource_type in ("*", scope.resource_type)
        and scope.interactions <= ceiling.interactions
        and set(ceiling.query) <= set(scope.query)
    )
