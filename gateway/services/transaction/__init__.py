"""Transaction and batch Bundles at `POST [base]` (https://hl7.org/fhir/R4/http.html#transaction).

A transaction is all or nothing: its entries are parsed (`parse`), given their targets and
references before any write (`plan`), run DELETE, POST, PUT, GET in one unit of work
(`execute`), and answered in request order (`respond`). A batch skips the planning: each entry
runs on its own and reports its own outcome.
"""

from __future__ import annotations

from gateway.jsonio import Json
from gateway.services.context import Services
from gateway.services.transaction.execute import run_batch, run_transaction
from gateway.services.transaction.parse import parse_bundle
from gateway.services.transaction.plan import plan
from gateway.services.transaction.respond import response


async def process(
    services: Services, bundle: Json, *, base_urls: tuple[str, ...], representation: bool
) -> Json:
    """The transaction- or batch-response to `bundle`; a failed transaction raises."""
    kind, entries = parse_bundle(
        bundle, max_entries=services.settings.max_bundle_entries, base_urls=base_urls
    )
    if kind == "batch":
        outcomes = await run_batch(services, entries, base_urls)
    else:
        await plan(services, entries, base_urls)
        outcomes = await run_transaction(services, entries, base_urls)
    base = base_urls[0] if base_urls else ""
    return response(f"{kind}-response", outcomes, representation=representation, base=base)
