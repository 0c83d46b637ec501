"""The millisecond fast path of `parse_range` against its general path (the FHIR pattern and
`_time_range`): every text of the `YYYY-MM-DDThh:mm:ss.fff` + zone shape, in range or not,
gets the same range and precision, or the same refusal."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.domain import time
from gateway.domain.time import parse_range


def _general(text: str) -> tuple[datetime, datetime, str] | None:
    """What `parse_range` answered before the fast path: None for a ValueError."""
    match = time._PATTERN.fullmatch(text)
    if match is None or match["hour"] is None or match["tz"] is None:
        return None
    try:
        return time._time_range(match)
    except ValueError:  # out of range: 2020-02-30, hour 24
        return None


def _answer(text: str) -> tuple[datetime, datetime, str] | None:
    try:
        return parse_range(text)
    except ValueError:
        return None


def _two(top: int) -> st.SearchStrategy[str]:
    return st.integers(0, top).map(lambda n: f"{n:02d}")


_ZONES = st.just("Z") | st.builds(
    lambda s, h, m: f"{s}{h}:{m}", st.sampled_from("+-"), _two(99), _two(99)
)
_TEXTS = st.builds(
    lambda y, mo, d, h, mi, s, f, z: f"{y:04d}-{mo}-{d}T{h}:{mi}:{s}.{f:03d}{z}",
    st.integers(1, 9999) | st.sampled_from([1, 9999]),
    _two(13), _two(32), _two(25), _two(61), _two(61),
    st.integers(0, 999) | st.just(999),
    _ZONES,
)  # fmt: skip


@given(_TEXTS)
def test_the_fast_path_answers_as_the_general_one(text: str) -> None:
    assert _answer(text) == _general(text)


@pytest.mark.parametrize(
    "text",
    [
        "1991-07-08T01:39:26.097+00:00",  # Synthea's `issued`
        "2014-01-19T20:27:27.775-05:00",
        "2016-12-31T23:59:60.500Z",  # a leap second
        "9999-12-31T23:59:59.999Z",  # the last instant stored exactly
        "9999-12-31T23:59:59.998Z",
        "9999-12-31T20:00:00.000-05:00",  # past datetime.max once in UTC
        "0001-01-01T00:30:00.000+01:00",  # before datetime.min once in UTC
        "2020-02-30T10:00:00.000Z",
        "2020-01-01T24:00:00.000Z",
        "2020-01-01T10:00:00.000+14:00",
        "2020-01-01T10:00:00.000+23:59",
        "2020-01-01T10:00:00.000+24:00",
        "2014-W03-1T20:27:27.775Z",  # an ISO week date: fromisoformat reads it, FHIR does not
        "2014-W03-1T20:27:27.775+01:00",
        "2014-01-19T20:27:27,775Z",
        "٢٠١٤-01-19T20:27:27.775Z",  # other digits: the pattern's \\d reads them
    ],
)
def test_edges_answer_as_the_general_path(text: str) -> None:
    assert _answer(text) == _general(text)
