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
    """The adapters that are installed, in `APPS` order: all four are expected; one whose
    package is missing (not merged yet) is left out, one that is there but broken raises."""
    found = []
    for name, module in APPS.items():
        try:
            found.append(app_adapter(name))
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
    return found
