"""Bundle GET entries that name a compartment search (`Patient/1/Observation?...`) or
`$everything` (`Patient/1/$everything`, `Patient/$everything`): the same answers as over HTTP
(http.html#transaction: "GET ... entries are processed as the equivalent HTTP requests")."""

from __future__ import annotations

from urllib.parse import parse_qsl

from gateway.jsonio import Json
from gateway.search.request import parse
from gateway.services import everything
from gateway.services.compartment_search import compartment_search
from gateway.services.compartments import check_member_type
from gateway.services.context import Services
from gateway.services.generic import kept_types


async def compartment_get(services: Services, url: str, *, base: str) -> Json | None:
    """The searchset `url` (local, with its query) asks for; None when it names neither."""
    path, _, query = url.partition("?")
    parts = [part for part in path.split("/") if part]
    items = parse_qsl(query, keep_blank_values=True)
    settings = services.settings
    if parts[:1] == ["Patient"] and parts[-1:] == ["$everything"] and len(parts) in (2, 3):
        request = everything.parse(
            items,
            patient_id=parts[1] if len(parts) == 3 else None,
            default_count=settings.default_page_size,
            max_count=settings.max_page_size,
            kept=kept_types(),
        )
        return await everything.everything(services, request, base=base)
    if len(parts) != 3 or parts[2] == "_history":
        return None
    compartment, compartment_id, resource_type = parts
    check_member_type(compartment, resource_type, services)
    searched = parse(
        resource_type,
        items,
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
    )
    return await compartment_search(services, compartment, compartment_id, searched, base=base)
