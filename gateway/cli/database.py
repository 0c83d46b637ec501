"""The database a CLI command works on, which must be a MongoDB server."""

from __future__ import annotations

import typer
from rich.console import Console

from gateway.settings import Settings


def server_settings(mongodb_uri: str | None, *, work: str, console: Console) -> Settings:
    """The settings naming MongoDB, or exit 2: the embedded store lives inside one process, so
    a new process starts it empty and there would be nothing to `work` on."""
    settings = Settings(mongodb_uri=mongodb_uri) if mongodb_uri else Settings()
    if settings.embedded:
        console.print(
            "[red]Set MONGODB_URI or --mongodb-uri. Without them the gateway uses its embedded "
            "store, which lives inside one process: a new process starts it empty, so there "
            f"would be nothing to {work}.[/red]"
        )
        raise typer.Exit(code=2)
    return settings
