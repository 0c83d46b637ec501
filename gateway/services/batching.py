"""Cutting a stream into batches: the one helper behind every batched loop (the importer's
batches and retries, the HTTP import target's Bundles)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def chunks(
    items: Iterable[T], size: int, *, boundary: Callable[[T], Hashable] | None = None
) -> Iterator[list[T]]:
    """Lists of at most `size` items, in order, each yielded as soon as it is full.

    With `boundary`, a new list also starts wherever `boundary(item)` changes, so a batch never
    spans two files (`boundary=lambda item: item.source`).
    """
    batch: list[T] = []
    mark: Hashable = None
    for item in items:
        if boundary is not None:
            key = boundary(item)
            if batch and key != mark:
                yield batch
                batch = []
            mark = key
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
