"""Loading the demo records through the same validation and mapping as client data."""

from __future__ import annotations

from collections import Counter

from gateway.errors import NotFound
from gateway.services import resources
from gateway.services.context import Services


async def load_demo(services: Services, *, patients: int = 5) -> dict[str, int]:
    """PUT each demo resource under its own id (update-as-create), so references hold."""
    from gateway import demo  # only a demo start-up needs the generator

    counts: Counter[str] = Counter()
    for resource in demo.generate(patients=patients):
        store = services.store(resource["resourceType"])
        try:
            await resources.read(store, resource["id"])
            continue  # already there: loading twice changes nothing
        except NotFound:
            pass
        await resources.update(store, resource["id"], resource, profiles=services.profiles)
        counts[resource["resourceType"]] += 1
    return dict(counts)
