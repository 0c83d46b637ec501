"""`fhir-gateway serve` logs each line with the request id it was written for."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from gateway.cli.main import cli
from gateway.request_context import bind_request_id, unbind_request_id


def test_the_serve_log_format_shows_the_request_id(monkeypatch: pytest.MonkeyPatch) -> None:
    configured: dict[str, Any] = {}
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: configured.update(kwargs))
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    formatter = logging.Formatter(configured["format"])

    token = bind_request_id("req-7")
    try:
        inside = logging.getLogger("gateway.x").makeRecord("gateway.x", 20, "f", 1, "hi", (), None)
    finally:
        unbind_request_id(token)
    outside = logging.getLogger("gateway.x").makeRecord("gateway.x", 20, "f", 1, "up", (), None)
    assert formatter.format(inside) == "INFO gateway.x [req-7]: hi"
    assert formatter.format(outside) == "INFO gateway.x [-]: up"
