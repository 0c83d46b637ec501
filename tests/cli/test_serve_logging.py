"""`fhir-gateway serve` applies LOG_FORMAT to its own logging and hands the same config to uvicorn."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from pydantic import ValidationError
from typer.testing import CliRunner

from gateway.cli import main
from gateway.logging_format import JsonFormatter


def _serve(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[dict[str, Any], list[Any]]:
    """Run `serve` with `env`, uvicorn and dictConfig replaced: what each was given."""
    ran: dict[str, Any] = {}
    applied: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: ran.update(kwargs, app=app))
    monkeypatch.setattr(main.logging.config, "dictConfig", applied.append)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    result = CliRunner().invoke(main.cli, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    return ran, applied


def _formatter(config: dict[str, Any]) -> dict[str, Any]:
    handler = config["root"]["handlers"][0]
    formatter: dict[str, Any] = config["formatters"][config["handlers"][handler]["formatter"]]
    return formatter


def test_log_format_json_reaches_serve_and_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    ran, applied = _serve(monkeypatch, LOG_FORMAT="json", LOG_LEVEL="warning")
    assert applied == [ran["log_config"]]  # serve's own records and every uvicorn worker alike
    config = ran["log_config"]
    assert _formatter(config) == {"()": f"{JsonFormatter.__module__}.JsonFormatter"}
    assert config["root"]["level"] == "WARNING"
    assert {name: lg["handlers"] for name, lg in config["loggers"].items()} == {
        "uvicorn": [], "uvicorn.error": [], "uvicorn.access": []
    }  # fmt: skip
    assert all(lg["propagate"] for lg in config["loggers"].values())  # to the root's handler


def test_text_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    ran, applied = _serve(monkeypatch)
    assert applied == [ran["log_config"]]
    assert _formatter(ran["log_config"]) == {"format": "%(levelname)s %(name)s: %(message)s"}


def test_an_unknown_log_format_stops_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("served"))
    result = CliRunner().invoke(main.cli, ["serve"], env={"LOG_FORMAT": "xml"})
    assert isinstance(result.exception, ValidationError)
    assert result.exception.errors()[0]["loc"] == ("log_format",)
