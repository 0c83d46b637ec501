"""The app under test: AUTH_MODE=smart with a JWKS file of a key generated here; tokens minted
with that key (joserfc, through tests/auth/keysets.py), and the world loaded with an admin token.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from httpx import AsyncClient, Response
from joserfc import jwk

from tests.auth import keysets
from tests.auth.matrix.grants import ADMIN, GrantRow
from tests.auth.matrix.world import RESOURCES, Json
from tests.conftest import api_client, make_settings

ISSUER = keysets.ISSUER
AUDIENCE = keysets.AUDIENCE
KEY: jwk.RSAKey = keysets.rsa("matrix-1")


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims now (the verifier reads the real clock); None drops a claim."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "matrix-client", "client_id": "matrix-client",
        "exp": now + 600, "iat": now, "nbf": now - 5,
    }  # fmt: skip
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def token(grant: GrantRow) -> str:
    return keysets.sign(KEY, "RS256", claims(**grant.claims))


def bearer(grant: GrantRow) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(grant)}"}


def smart_settings(directory: Path) -> Any:
    jwks_file = directory / "jwks.json"
    jwks_file.write_text(json.dumps(keysets.jwks(KEY)))
    return make_settings(
        auth_mode="smart",
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
        auth_jwks_file=jwks_file,
        export_dir=directory / "exports",
    )


@asynccontextmanager
async def smart_app(directory: Path, extra: list[Json] | None = None) -> AsyncIterator[AsyncClient]:
    """A client on a new smart app whose store holds the world (and `extra`), PUT as admin."""
    async with api_client(smart_settings(directory)) as client:
        admin = bearer(ADMIN)
        for resource in [*RESOURCES, *(extra or [])]:
            path = f"/{resource['resourceType']}/{resource['id']}"
            answer = await client.put(path, json=resource, headers=admin)
            assert answer.status_code == 201, answer.text
        yield client


def body(response: Response) -> Json | None:
    try:
        value = response.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
