"""A Bundle's entries from a stream: one at a time, wherever the chunks end, numbers exact."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from gateway.jsonio import dumps
from gateway.services.imports.entries import Unreadable, entries

ENTRIES = [
    {"resource": {"resourceType": "Observation", "valueQuantity": {"value": "@1.50"}}},
    {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "name": [{"text": "é😀"}]}},
    {"resource": {"resourceType": "Basic", "n": ["@1e-400", "@12345678901234567890123", 7]}},
]


def bundle_text(entries: list[Any], *, indent: int | None = None, **members: Any) -> bytes:
    """A Bundle's JSON text; a string "@<number>" is written as that number."""
    value = {"resourceType": "Bundle", "type": "collection", **members, "entry": entries}
    written = json.dumps(value, indent=indent, ensure_ascii=False)
    for number in ("1.50", "1e-400", "12345678901234567890123"):
        written = written.replace(f'"@{number}"', number)
    return written.encode()


class Trickle:
    """A stream that gives at most `step` bytes a read, and counts what it gave."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.given = data, step, 0

    def read(self, size: int, /) -> bytes:
        chunk = self.data[self.given : self.given + min(size, self.step)]
        self.given += len(chunk)
        return chunk


def written(items: list[Any]) -> list[bytes]:
    return [dumps(item) for item in items]


@pytest.mark.parametrize("step", [1, 2, 3, 7, 64 * 1024])
@pytest.mark.parametrize("indent", [None, 2], ids=["minified", "pretty"])
def test_entries_come_whole_and_exact_wherever_the_chunks_end(
    step: int, indent: int | None
) -> None:
    raw = bundle_text(ENTRIES, indent=indent)

    found = list(entries(Trickle(raw, step)))

    assert written(found) == [
        b'{"resource":{"resourceType":"Observation","valueQuantity":{"value":1.50}}}',
        dumps(ENTRIES[1]),
        b'{"resource":{"resourceType":"Basic","n":[1e-400,12345678901234567890123,7]}}',
    ]


def test_other_members_are_passed_over_wherever_they_are() -> None:
    raw = (
        bundle_text(
            ENTRIES[:1],
            meta={"entry": [{"resource": "not this"}]},
            link=[{"relation": "self", "url": "x"}],
            total=12,
        )[:-1]
        + b', "signature": {"entry": []}, "entry": [{"resource": {"n": 2}}]}'
    )

    assert written(list(entries(io.BytesIO(raw)))) == [
        dumps(ENTRIES[0]).replace(b'"@1.50"', b"1.50"),
        b'{"resource":{"n":2}}',
    ]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"{}", id="empty-object"),
        pytest.param(b'{"resourceType": "Bundle", "entry": []}', id="empty-entry"),
        pytest.param(b'{"resourceType": "Bundle", "entry": {"resource": {}}}', id="not-an-array"),
    ],
)
def test_a_bundle_without_entries_yields_none(raw: bytes) -> None:
    assert list(entries(io.BytesIO(raw))) == []


@pytest.mark.parametrize(
    ("raw", "message", "before"),
    [
        pytest.param(b'{"entry": [{"a": 1}, {"a": 2', "Expecting", 1, id="cut-off"),
        pytest.param(b'{"entry": [{"a": 1} {"a": 2}]}', "Expecting `,`", 1, id="no-comma"),
        pytest.param(b'{"entry": [{"a": 1}]} []', "Extra data", 1, id="extra-data"),
        pytest.param(b'{"entry": [{"a": 1}, {"a": NaN}]}', "`NaN` is not a JSON number", 1, id="nan"),
        pytest.param(b'{1: [{"a": 1}]}', "Expecting a property name", 0, id="key-not-a-string"),
        pytest.param(b'[{"a": 1}]', "Expecting `{`", 0, id="not-an-object"),
        # A byte that is not UTF-8 stops the chunk it is in: its entries are not read.
        pytest.param(b'{"entry": [{"a": 1}, {"a": "\xff"}]}', "utf-8", 0, id="not-utf-8"),
    ],
)  # fmt: skip
def test_where_the_text_stops_being_json_is_an_error_after_the_entries_before(
    raw: bytes, message: str, before: int
) -> None:
    read: list[Any] = []

    with pytest.raises(ValueError, match=message):
        read.extend(entries(io.BytesIO(raw)))

    assert read == [{"a": 1}] * before


def test_an_error_early_in_a_large_bundle_is_found_without_reading_on() -> None:
    raw = b'{"entry": [{"a": 1}, {"a": tru}, ' + b'{"resource": {"id": "x"}}, ' * 400_000
    stream = Trickle(raw, 64 * 1024)

    with pytest.raises(ValueError, match="Expecting value"):
        list(entries(stream))

    assert stream.given <= 2 * 64 * 1024  # of 10 MB


def test_a_lone_surrogate_makes_its_entry_unreadable_and_no_other() -> None:
    raw = b'{"entry": [{"a": "\\ud83d\\ude00"}, {"a": "\\ud800"}, {"a": "\\udc00x"}, {"a": 1}]}'

    assert list(entries(io.BytesIO(raw))) == [
        {"a": "😀"},
        Unreadable("Bundle entry holds a lone UTF-16 surrogate, which is not text."),
        Unreadable("Bundle entry holds a lone UTF-16 surrogate, which is not text."),
        {"a": 1},
    ]
