"""gateway.store.claims: one holder per conditional-create key, taken over only as it was read."""

from __future__ import annotations

from datetime import timedelta

from gateway.store.claims import Claim
from gateway.store.storage import Storage
from gateway.store.unit import Unit
from tests.store.conftest import T0

KEY = "Patient?identifier=http%3A%2F%2Fclinic%7C1"


async def _undo(unit: Unit) -> None:
    for undo in reversed(unit.undo or []):
        await undo()


async def test_a_key_has_one_holder(storage: Storage) -> None:
    claims = storage.claims
    first, second = Claim(KEY, "p-1", T0), Claim(KEY, "p-2", T0 + timedelta(seconds=1))
    assert await claims.held(KEY) is None
    assert await claims.take(first)
    assert not await claims.take(second)
    assert await claims.held(KEY) == first
    assert await claims.take(Claim("Patient?other", "p-2", T0))


async def test_a_take_over_replaces_only_the_claim_that_was_read(storage: Storage) -> None:
    claims = storage.claims
    first, second, third = (Claim(KEY, f"p-{n}", T0 + timedelta(seconds=n)) for n in (1, 2, 3))
    await claims.take(first)
    assert await claims.take_over(first, second)
    assert not await claims.take_over(first, third)  # `first` is no longer what is held
    assert await claims.held(KEY) == second


async def test_a_units_undo_frees_a_taken_key_and_restores_a_taken_over_one(
    storage: Storage,
) -> None:
    claims = storage.claims
    unit = Unit(undo=[])
    await claims.take(Claim(KEY, "p-1", T0), unit)
    await _undo(unit)
    assert await claims.held(KEY) is None
    held = Claim(KEY, "p-1", T0)
    await claims.take(held)
    unit = Unit(undo=[])
    await claims.take_over(held, Claim(KEY, "p-2", T0 + timedelta(minutes=1)), unit)
    await _undo(unit)
    assert await claims.held(KEY) == held
