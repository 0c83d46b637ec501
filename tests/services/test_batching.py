"""The one batching helper."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.services.batching import chunks


@pytest.mark.parametrize(
    ("items", "size", "expected"),
    [
        pytest.param([], 3, [], id="empty"),
        pytest.param([1, 2, 3, 4, 5, 6, 7], 3, [[1, 2, 3], [4, 5, 6], [7]], id="last-short"),
        pytest.param([1, 2, 3], 3, [[1, 2, 3]], id="exact"),
        pytest.param([1, 2], 1, [[1], [2]], id="ones"),
    ],
)
def test_chunks_of_at_most_size(items: list[int], size: int, expected: list[list[int]]) -> None:
    assert list(chunks(items, size)) == expected


def test_a_boundary_starts_a_new_chunk() -> None:
    """Files a (3 items), b (1), c (4) in chunks of 2: no chunk holds two files."""
    items = ["a1", "a2", "a3", "b1", "c1", "c2", "c3", "c4"]
    assert list(chunks(items, 2, boundary=lambda item: item[0])) == [
        ["a1", "a2"], ["a3"], ["b1"], ["c1", "c2"], ["c3", "c4"],
    ]  # fmt: skip


def test_a_full_chunk_is_yielded_before_the_next_item_is_read() -> None:
    read: list[int] = []

    def source() -> Iterator[int]:
        for i in range(4):
            read.append(i)
            yield i

    batches = chunks(source(), 2)
    assert next(batches) == [0, 1]
    assert read == [0, 1]
