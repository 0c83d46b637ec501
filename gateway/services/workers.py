"""Worker processes for CPU-bound batches (`import --workers`, `validate --workers`)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def worker_pool(workers: int, preload: str) -> ProcessPoolExecutor:
    """`workers` processes forked from a forkserver that has imported the module `preload`, so
    what every worker needs (mappers, UCUM units, compiled profiles) is loaded once. A forkserver,
    not a fork of this process, which could inherit a lock held by a driver thread."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload])  # takes effect when the server starts
    return ProcessPoolExecutor(workers, mp_context=context)
