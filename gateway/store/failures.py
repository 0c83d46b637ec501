"""Store errors, counted where every MongoDB command passes: the driver's command monitoring.

https://pymongo.readthedocs.io/en/stable/api/pymongo/monitoring.html. The one place every
operation of every store (the resource stores, history, claims, the audit, units of work)
reaches the server, so no store method has to count its own failures. A command that fails
(the server answers an error, or the connection drops while it runs) is counted by its name;
a duplicate key on insert is not a failed command (the server answers `ok` with write errors)
and is answered as the conflict it is. A server that cannot be selected at all sends no command:
`/health/ready` says so, and the requests it fails are counted as 500s.

The embedded store runs in the process and sends no commands: nothing to count there.
"""

from __future__ import annotations

from collections.abc import Callable

from pymongo import monitoring


class FailedCommands(monitoring.CommandListener):
    """Calls `count` with the name of each command that failed (from the driver's threads)."""

    def __init__(self, count: Callable[[str], None]) -> None:
        self.count = count

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.count(event.command_name)
