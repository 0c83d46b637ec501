"""The app an `/apps/{app}/...` path or `--from/--to` names, or a 422 listing the known ones."""

from __future__ import annotations

from gateway.errors import UnprocessableResource
from mappers.apps import APPS, adapter
from mappers.apps.base import AppAdapter


def app_adapter(name: str) -> AppAdapter:
    found = adapter(name)
    if found is None:
        known = ", ".join(f"`{app}`" for app in APPS)
        raise UnprocessableResource(
            f"`{name}` is not an app of this gateway; the apps are {known}.", expression="app"
        )
    return found


def available() -> list[AppAdapter]:
    """Every app's adapter, in `APPS` order."""
    return [app_adapter(name) for name in APPS]
