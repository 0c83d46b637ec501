"""`fhir-gateway token` and `fhir-gateway keys generate`: development keys and tokens.

`token` mints an access token with the gateway's signing key (AUTH_SIGNING_KEY_FILE), for
trying the API with curl: the operator at the command line is trusted, so no client
registration is consulted. `keys generate` writes what docker-compose.yml runs with: the
gateway's private signing key (JWK, mode 0600) and its public JWKS, one client key pair, and an
AUTH_CLIENTS_FILE registering that client with `system/*.*`. Development keys: production keys
belong in the operator's secret store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from joserfc import jwk
from rich.console import Console

console = Console(stderr=True)
keys_cli = typer.Typer(no_args_is_help=True, add_completion=False, help="Development keys.")

SIGNING_KEY, JWKS = "signing-key.json", "jwks.json"
CLIENT_KEY, CLIENT_JWKS, CLIENTS = "client-key.json", "client-jwks.json", "clients.json"
DEV_CLIENT = "dev-client"


def token_command(
    *,
    client: Annotated[str, typer.Option("--client", help="The token's client_id and sub.")],
    scope: Annotated[str, typer.Option(help='Scopes, space-separated, e.g. "system/*.rs".')],
    patient: Annotated[
        str | None, typer.Option(help="The `patient` launch context (for patient/ scopes).")
    ] = None,
    fhir_user: Annotated[
        str | None, typer.Option("--fhir-user", help="The `fhirUser` claim, e.g. Practitioner/1.")
    ] = None,
    minutes: Annotated[int, typer.Option(min=1, max=24 * 60, help="Lifetime.")] = 60,
) -> None:
    """Print an access token signed with AUTH_SIGNING_KEY_FILE (development only)."""
    from gateway.auth.backend_services import TokenMinter
    from gateway.auth.signing import InvalidSigningKey
    from gateway.settings import Settings

    settings = Settings()
    if settings.auth_signing_key_file is None or not settings.auth_audience:
        console.print("[red]Set AUTH_SIGNING_KEY_FILE and AUTH_AUDIENCE to mint tokens.[/red]")
        raise typer.Exit(code=2)
    try:
        minter = TokenMinter.from_settings(settings)
    except InvalidSigningKey as error:
        console.print(f"[red]AUTH_SIGNING_KEY_FILE: {error}[/red]")
        raise typer.Exit(code=2) from error
    assert minter is not None  # the key file and audience are set
    token = minter.mint(
        client_id=client, scope=scope, lifetime=minutes * 60, patient=patient, fhir_user=fhir_user
    )
    typer.echo(token)


@keys_cli.command("generate")
def generate(
    *,
    out: Annotated[Path, typer.Option("--out", help="Directory to write the keys to.")],
    force: Annotated[bool, typer.Option(help="Replace keys already in --out.")] = False,
) -> None:
    """Write a development signing key, its JWKS, a client key pair and AUTH_CLIENTS_FILE."""
    if (out / SIGNING_KEY).exists() and not force:
        console.print(f"Keys already in {out}: kept (--force replaces them).")
        return
    out.mkdir(parents=True, exist_ok=True)
    signing = jwk.RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
    signing.ensure_kid()
    client = jwk.ECKey.generate_key("P-384", parameters={"use": "sig", "alg": "ES384"})
    client.ensure_kid()
    client_jwks = {"keys": [client.as_dict(private=False)]}
    registration = {
        "clients": [{"client_id": DEV_CLIENT, "jwks": client_jwks, "scope": "system/*.*"}]
    }
    _write(out / SIGNING_KEY, signing.as_dict(private=True), private=True)
    _write(out / JWKS, {"keys": [signing.as_dict(private=False)]})
    _write(out / CLIENT_KEY, client.as_dict(private=True), private=True)
    _write(out / CLIENT_JWKS, client_jwks)
    _write(out / CLIENTS, registration)
    console.print(
        f"Wrote {out}: AUTH_SIGNING_KEY_FILE={out / SIGNING_KEY}"
        f" AUTH_CLIENTS_FILE={out / CLIENTS} (client `{DEV_CLIENT}`, key {out / CLIENT_KEY})."
    )


def _write(path: Path, document: Any, *, private: bool = False) -> None:
    """Write JSON; a private key is created 0600 from the start, never readable by others."""
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    if path.exists():
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
