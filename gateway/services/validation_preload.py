"""What the `fhir-gateway validate` workers' forkserver loads once, before it forks any worker:
the import workers' preload, and the engine warmed (gateway.services.validation_files.warm),
so each worker starts with the profiles compiled instead of compiling them itself."""

from __future__ import annotations

from gateway.services.imports import preload  # noqa: F401  (mappers, indexers, UCUM)
from gateway.services.validation_files import warm

warm()
