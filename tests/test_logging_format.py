"""LOG_FORMAT=json: one JSON object a line, carrying the request id."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from starlette.requests import Request
from starlette.responses import Response

from gateway.http.app import create_app
from gateway.http.methods import route
from gateway.logging_format import JsonFormatter, logging_config
from gateway.request_context import (
    bind_request_id,
    install_log_record_factory,
    unbind_request_id,
)
from tests.conftest import make_settings


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the `probe` logger writes through a JsonFormatter, isolated from other handlers."""
    install_log_record_factory()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("probe")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def _records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_object_with_time_level_logger_message(lines: io.StringIO) -> None:
    logging.getLogger("probe").warning("stored %d of %s", 3, "Patient")
    [record] = _records(lines)
    assert record.pop("time").endswith("+00:00")
    assert record == {
        "level": "WARNING",
        "logger": "probe",
        "message": "stored 3 of Patient",
        "request_id": None,
    }


def test_the_time_is_iso_8601_utc(lines: io.StringIO) -> None:
    logging.getLogger("probe").info("now")
    [record] = _records(lines)
    parsed = datetime.fromisoformat(record["time"])
    assert parsed.utcoffset() is not None
    assert parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_a_record_inside_a_request_carries_its_id(lines: io.StringIO) -> None:
    token = bind_request_id("req-42")
    try:
        logging.getLogger("probe").info("inside")
    finally:
        unbind_request_id(token)
    logging.getLogger("probe").info("outside")
    assert [r["request_id"] for r in _records(lines)] == ["req-42", None]


def test_an_exception_is_one_line_with_its_traceback(lines: io.StringIO) -> None:
    try:
        raise ValueError('bad "quote"\nand a newline')
    except ValueError:
        logging.getLogger("probe").exception("failed")
    assert len(lines.getvalue().splitlines()) == 1
    [record] = _records(lines)
    assert record["message"] == "failed"
    assert record["exception"].startswith("Traceback")
    assert 'ValueError: bad "quote"\nand a newline' in record["exception"]


def test_a_record_made_before_the_factory_asks_the_context() -> None:
    record = logging.LogRecord("probe", logging.INFO, __file__, 1, "m", None, None)
    token = bind_request_id("req-7")
    try:
        line = JsonFormatter().format(record)
    finally:
        unbind_request_id(token)
    assert json.loads(line)["request_id"] == "req-7"


async def test_a_log_written_while_handling_a_request_carries_its_x_request_id(
    lines: io.StringIO,
) -> None:
    async def logs(request: Request) -> Response:
        logging.getLogger("probe").info("handled")
        return Response("ok")

    app = create_app(make_settings())
    app.router.routes.insert(0, route("/logs", {"GET": logs}, public=True))
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        r = await client.get("/logs", headers={"X-Request-ID": "client-id-1"})
    assert r.headers["x-request-id"] == "client-id-1"
    assert [(x["message"], x["request_id"]) for x in _records(lines)] == [
        ("handled", "client-id-1")
    ]


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """dictConfig rewrites the root and uvicorn's loggers: put them back for the other tests."""
    loggers = [
        logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    ]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    try:
        yield
    finally:
        for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize(("log_format", "json_lines"), [("json", True), ("text", False)])
def test_the_config_formats_uvicorns_loggers_too(
    log_format: Any, json_lines: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.config.dictConfig(logging_config(log_format=log_format, level="info"))
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("uvicorn.access").debug("below the level")
    [line] = capsys.readouterr().err.splitlines()  # once: uvicorn's own handlers are gone
    if json_lines:
        record = json.loads(line)
        assert (record["logger"], record["message"]) == ("uvicorn.error", "Started server process")
    else:
        assert line == "INFO uvicorn.error: Started server process"
