"""Headers built by hand on the hot path of a read say what the standard library says:
`Last-Modified` as `email.utils.format_datetime(usegmt=True)` writes it, `X-Request-ID` as
`uuid.uuid4().hex` would."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from uuid import RFC_4122, UUID

from hypothesis import given
from hypothesis import strategies as st

from gateway.http.envelope import fresh_id
from gateway.http.responses import http_date
from gateway.store.versions import Version

MOMENTS = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59))


@given(MOMENTS)
def test_last_modified_is_what_the_standard_library_writes(moment: datetime) -> None:
    version = Version("Patient", "p1", 1, moment, {})
    assert http_date(version) == format_datetime(moment.replace(tzinfo=UTC), usegmt=True)


def test_last_modified_of_a_known_instant() -> None:
    version = Version("Patient", "p1", 1, datetime(1994, 11, 6, 8, 49, 37, 999000), {})
    assert http_date(version) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_a_fresh_request_id_is_a_uuid4_in_hex() -> None:
    """What `uuid.uuid4().hex` gives: 32 hex digits, version 4, the RFC variant, all distinct."""
    ids = [fresh_id() for _ in range(2_000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = UUID(hex=text)
        assert (parsed.hex, parsed.version, parsed.variant) == (text, 4, RFC_4122)
