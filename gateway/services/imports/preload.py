"""What the import workers' forkserver loads once, before it forks any worker.

Preparer's workers are forked from one forkserver process (gateway.services.imports.preparation);
a module it imports is in every worker from the start. So the mappers, the search indexers and
the UCUM units (about half a second to load: pint's registry, the UCUM grammar) are loaded once
per gateway process here, not once per worker and per import.
"""

from __future__ import annotations

from gateway import ucum
from gateway.services.imports import preparation  # noqa: F401  (loaded for the workers)

ucum.warm()
