"""The write path warmed at start, so the first Bundles a server takes are not its slowest.

A fresh process pays for much of its write path on first use: fhir.resources imports the model
of each element type the first time a resource carries it, the profile registry reads the R4
definitions when a resource first claims a profile, each UCUM unit is parsed once. Measured over
HTTP on a fresh server, posting the 25 Synthea patients of bench/bench_peer.py a first time
took 1.3x as long as a second time: a client's first transactions paid for the start-up. Here,
before the server reports ready, the profile engine's own warming
(gateway.services.validation_files) runs, and the demo patient (gateway.demo), every domain
type with the elements clients send, goes through the checks, the mapping and the building of
its stored documents; nothing is written. Once per process: what it fills is process-wide
(imports, caches), so a second app in the same process finds it done.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from gateway.demo import generate
from gateway.errors import GatewayError
from gateway.services import resources
from gateway.services.context import Services
from gateway.services.validation_files import warm as warm_profiles

log = logging.getLogger(__name__)
_DONE = threading.Event()
_LOCK = threading.Lock()


def warm_writes(services: Services) -> None:
    """Check, map and build the stored document of the demo patient's resources, writing
    nothing; a resource this server refuses (a profile policy, a type it does not keep) is
    skipped, and a fault logged, since warming must never stop a start."""
    with _LOCK:
        if _DONE.is_set():
            return
        try:
            warm_profiles()  # the held definitions, the vital signs family: claimed profiles
        except Exception:
            log.exception("Warming the profile engine failed")
        now = datetime.now(UTC)
        for resource in generate(patients=1):
            try:
                store = services.store(resource["resourceType"])
                record, _ = resources.admit(store, resource, profiles=services.profiles)
                store.document(record, "warm", 1, now, "POST")
            except GatewayError as error:  # refused here: the first such request pays instead
                log.debug("Warming skipped a %s: %s", resource["resourceType"], error)
            except Exception:  # a fault of ours, logged; the server starts, as it would unwarmed
                log.exception("Warming failed on a %s", resource["resourceType"])
        _DONE.set()
