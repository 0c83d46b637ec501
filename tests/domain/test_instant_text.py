"""The instant text and the clock of every write, against the forms they had before they were
made cheaper (`isoformat`, one `replace`): the same text and the same moment, on any input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from gateway.domain.time import format_instant, utc_now


def _strftime_form(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@given(st.datetimes())
def test_a_naive_instant_reads_as_strftime_wrote_it(moment: datetime) -> None:
    assert format_instant(moment) == _strftime_form(moment)


@given(
    st.datetimes(timezones=st.just(UTC))
    | st.datetimes(timezones=st.just(timezone(timedelta(hours=2))))
)
def test_an_aware_instant_keeps_the_strftime_form(moment: datetime) -> None:
    assert format_instant(moment) == _strftime_form(moment)


def test_a_year_below_1000_keeps_the_strftime_form() -> None:
    assert format_instant(datetime(999, 12, 31, 23, 59, 59, 999999)) == _strftime_form(
        datetime(999, 12, 31, 23, 59, 59, 999999)
    )


def test_now_is_naive_utc_at_milliseconds() -> None:
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(milliseconds=1)
    now = utc_now()
    after = datetime.now(UTC).replace(tzinfo=None)
    assert now.tzinfo is None
    assert now.microsecond % 1000 == 0
    assert before <= now <= after
    assert format_instant(now).endswith(f".{now.microsecond // 1000:03d}Z")
