"""The id of the request being handled, for any layer: logs, incidents, audit records.

Set by the HTTP edge (`gateway.http.request_id`) per request; a `ContextVar`, so concurrent
requests on one event loop each see their own. It lives outside `gateway.http` because the CLI
sets up logging with it and the audit layer below the services reads it, and neither may import
the HTTP edge. Imports nothing of ours.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token
from typing import Any

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled in this context; None outside a request."""
    return _current.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    """Make `request_id` current until `unbind_request_id(token)`."""
    return _current.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _current.reset(token)


def install_log_record_factory() -> None:
    """Give every LogRecord a `request_id` ("-" outside a request), so formats may name it.

    A record factory rather than a handler filter: it reaches records of every logger and
    handler, including pytest's caplog, and `%(request_id)s` can never be missing. Idempotent.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _current.get() or "-"
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
