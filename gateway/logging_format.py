"""How `fhir-gateway serve` logs: `LOG_FORMAT=text` (a line for people) or `json` (one object a line).

JSON lines are what log collectors (Loki, CloudWatch, Elastic) index without a parsing rule, and
the request id in every record ties a log line to the `X-Request-ID` a client reports and to the
audit event (gateway.request_context). The standard library's logging with one small formatter
does it, so no dependency: python-json-logger would add configurable field renames we don't need.

Records hold only what code logged: the gateway logs no token and no body (README, Hardening),
and this formatter adds nothing from the request but its id.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from gateway.request_context import current_request_id

LogFormat = Literal["text", "json"]
TEXT = "%(levelname)s %(name)s: %(message)s"
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (ISO 8601, UTC), level, logger, message, request_id
    (null outside a request), and `exception` / `stack` when the record carries them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def _request_id(record: logging.LogRecord) -> str | None:
    # Set when the record was made (gateway.request_context's record factory, "-" outside a
    # request); a record made before the factory was installed asks the context directly.
    found = getattr(record, "request_id", None)
    if found is None:
        return current_request_id()
    return None if found == "-" else str(found)


def logging_config(*, log_format: LogFormat, level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the root logger and uvicorn's own loggers alike, also
    given to uvicorn (`log_config`) so each worker process applies it."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT}
    )
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gateway": formatter},
        "handlers": {
            "gateway": {
                "class": "logging.StreamHandler",
                "formatter": "gateway",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["gateway"], "level": level},
        # uvicorn's loggers would otherwise keep the handlers of its own default config
        "loggers": {name: {"handlers": [], "level": level, "propagate": True} for name in UVICORN},
    }
