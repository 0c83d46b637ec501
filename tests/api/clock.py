"""A write clock for API tests: each write's lastUpdated is the instant the test sets, so that
tests of `_lastUpdated`, `_since`, `_at` and newest-first order need neither sleeps nor luck."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gateway.domain.time import format_instant

START = datetime(2026, 1, 1)  # naive UTC, as the store keeps instants


class Clock:
    """`minute(n)` makes the following writes happen at START + n minutes."""

    def __init__(self) -> None:
        self.now = START

    def minute(self, n: int) -> None:
        self.now = START + timedelta(minutes=n)

    def __call__(self) -> datetime:
        return self.now


def at(n: int, *, seconds: int = 0) -> str:
    """The FHIR instant of START + n minutes (+ seconds)."""
    return format_instant(START + timedelta(minutes=n, seconds=seconds))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("gateway.services.resources.utc_now", clock)
    return clock
