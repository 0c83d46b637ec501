"""How often the cyclic garbage collector runs, for the server and the importer alike
(https://docs.python.org/3/library/gc.html#gc.set_threshold).

A write allocates many short-lived objects (validation, mapping, the stored document), and at
Python's default thresholds (700, 10, 10) a young collection runs every few entries and its
older generations walk everything the embedded store keeps: 15 % of a transaction's CPU, a
quarter of an import's time (bench/bench_import.py). Reference counting still frees every
acyclic object at once; raising the first threshold only makes the collection of cycles rarer.
`GC_YOUNG_THRESHOLD` (setting) is that first threshold; 0 leaves Python's defaults alone.
Imports nothing of ours.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# The older generations' thresholds with a raised young one: a full collection every 2,000
# young ones at most, so what the store keeps is walked rarely.
OLDER = (20, 100)


@contextmanager
def collecting_rarely(young: int, *, freeze: bool = False) -> Iterator[None]:
    """Raise the thresholds for the duration, then restore them.

    `freeze` (the server, after its start-up loads): move everything alive now into the
    permanent generation (`gc.freeze`), so no collection walks the modules, caches and demo
    data again; `gc.unfreeze` on the way out, so nothing frozen outlives the app (tests build
    many)."""
    if young <= 0:
        yield
        return
    before = gc.get_threshold()
    gc.set_threshold(young, *OLDER)
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()
        gc.set_threshold(*before)
