"""Verified access tokens, remembered so the next request with the same token skips the crypto.

Verifying a JWT (signature, claims, scope parsing) costs more than serving a read from the
store (bench/bench_tokens.py), and a client sends the same token on every request until it
expires. So the grant of a verified token is kept, keyed by the exact token string, in a
bounded LRU. Safety rules:
- An entry is used only while the token's `exp` holds, checked on every hit with the same clock
  skew the verifier allows (gateway.auth.tokens): a cached token expires exactly when a
  verified one would.
- Only successful verifications are stored; a failure is never cached, so a token that failed
  for a passing reason (keys not reachable yet) is checked afresh next time.
- The key is the whole token: a token differing in one byte (a tampered signature) is a miss
  and goes through full verification.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from gateway.auth.grant import Grant

DEFAULT_CAPACITY = 4_096


class TokenCache:
    """token -> (exp, grant), least recently used dropped first."""

    def __init__(
        self,
        *,
        capacity: int = DEFAULT_CAPACITY,
        clock_skew: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._entries: OrderedDict[str, tuple[float, Grant]] = OrderedDict()
        self._capacity = capacity
        self._skew = clock_skew
        self._clock = clock

    def get(self, token: str) -> Grant | None:
        """The grant of a cached, still unexpired token; None otherwise (expired ones dropped)."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        exp, grant = entry
        if exp <= self._clock() - self._skew:  # the verifier's rule: expired at exp + skew
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return grant

    def put(self, token: str, exp: float, grant: Grant) -> None:
        self._entries[token] = (exp, grant)
        self._entries.move_to_end(token)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
