"""Cases the matrix found failing on the merged branches, marked `xfail(strict=True)` so they
stay visible (and fail the run the day they are fixed, so the mark is removed)."""

from __future__ import annotations

from typing import Any

import pytest

# (grant id, case id) -> reason
KNOWN: dict[tuple[str, str], str] = {}


def known_failures(pairs: list[tuple[Any, Any]]) -> list[Any]:
    """pytest params for (grant, case) pairs, ids `grant|case`, the known failures marked."""
    params = []
    for grant, case in pairs:
        reason = KNOWN.get((grant.id, case.id))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(grant, case, id=f"{grant.id}|{case.id}", marks=marks))
    return params
