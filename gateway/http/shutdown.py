"""Graceful shutdown: in-flight writes finish before the store closes and the audit flushes.

Issue 14, part 5. On SIGTERM uvicorn stops accepting connections, waits for the open ones up to
`timeout_graceful_shutdown` (unset: forever; `serve` sets SHUTDOWN_GRACE_SECONDS), cancels what
still runs, and only then sends the lifespan its shutdown. Other ASGI servers and test harnesses
may send the shutdown with requests still running, so the lifespan does not trust the server to
have drained: it marks the app draining (`/health/ready` answers 503, so a load balancer stops
sending) and waits, up to the same grace, for the writes the envelope counts in flight (any
method but GET, HEAD and OPTIONS: a transaction or batch, an import's Bundles, a create), so a
Bundle that was accepted is answered and stored, and audited, before the audit writer's last
flush and before the store client closes. A read cut at shutdown loses nothing, so reads are
not waited for. Writes still running when the grace is over are named in an ERROR.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Drain:
    """The app's writes in flight (kept by the envelope) and whether shutdown has begun."""

    __slots__ = ("_idle", "draining", "writes")

    def __init__(self) -> None:
        self.writes = 0
        self.draining = False
        self._idle = asyncio.Event()
        self._idle.set()

    def write_started(self) -> None:
        self.writes += 1
        self._idle.clear()

    def write_ended(self) -> None:
        self.writes -= 1
        if not self.writes:
            self._idle.set()

    async def drained(self, grace_seconds: float) -> int:
        """Start draining and wait up to `grace_seconds` for the writes in flight to end;
        answers how many were still running (0: all ended), after logging them at ERROR."""
        self.draining = True
        if self.writes:
            log.info("Shutting down: waiting for %d write request(s) in flight.", self.writes)
        try:
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
        except TimeoutError:
            log.error(
                "Shutdown grace of %s s exceeded: %d write request(s) still in flight were cut"
                " (SHUTDOWN_GRACE_SECONDS).",
                grace_seconds,
                self.writes,
            )
        return self.writes
