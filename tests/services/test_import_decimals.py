"""`fhir-gateway import` and `export` keep every decimal's text: file in, NDJSON out, byte-exact.

The numbers and the places they sit in are those of tests/api/test_decimals.py, read from a
pretty-printed transaction Bundle and from NDJSON, through every import target.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from gateway.cli.main import cli
from tests.api.test_decimals import INVOICE, NUMBERS, OBSERVATION, PLACES, text
from tests.services.test_import_cli import MONGO, _rows, gateway_url, mongodb

__all__ = ["gateway_url", "mongodb"]  # fixtures
_NUMBER_AT = re.compile(r'"(?:value|valueDecimal|factor)":(-?[0-9][0-9.eE+-]*)')
_SOURCE = "http://example.org/source"


def tagged(resource: dict[str, Any], tag: str) -> dict[str, Any]:
    """`resource` with an identifier naming it, so each is found again after the import."""
    return {**resource, "identifier": [{"system": _SOURCE, "value": tag}]}


def write_files(directory: Path) -> None:
    """Each number in an Observation and an Invoice, once in a Bundle and once in NDJSON."""
    entries = [
        text({"resource": tagged(r, f"bundle {n}"), "request": {"method": "POST", "url": kind}}, n)
        for n in NUMBERS
        for r, kind in ((OBSERVATION, "Observation"), (INVOICE, "Invoice"))
    ]
    bundle = json.loads('{"resourceType": "Bundle", "type": "transaction", "entry": []}')
    pretty = json.dumps(bundle, indent=2).replace("[]", "[\n" + ",\n".join(entries) + "\n]")
    (directory / "labs.json").write_text(pretty)
    lines = [text(tagged(r, f"ndjson {n}"), n) for n in NUMBERS for r in (OBSERVATION, INVOICE)]
    (directory / "labs.ndjson").write_text("\n".join(lines) + "\n")


def served(lines: list[str]) -> dict[str, list[str]]:
    """Each resource's tag -> the numbers in its JSON text, as written there."""
    found: dict[str, list[str]] = {}
    for line in lines:
        tag = json.loads(line)["identifier"][0]["value"]
        found.setdefault(tag, []).extend(_NUMBER_AT.findall(line))
    return found


def exported(directory: Path) -> dict[str, list[str]]:
    result = CliRunner().invoke(cli, ["export", str(directory), "--mongodb-uri", MONGO])
    assert result.exit_code == 0, result.output
    lines = [
        line
        for kind in ("Observation", "Invoice")
        for line in (directory / f"{kind}.ndjson").read_text().splitlines()
    ]
    return served(lines)


def wanted() -> dict[str, list[str]]:
    """What the export must hold: the tag of each resource and its numbers."""
    result: dict[str, list[str]] = {}
    for source in ("bundle", "ndjson"):
        for n in NUMBERS:
            # An Observation and an Invoice share the tag: 6 + 3 numbers.
            result[f"{source} {n}"] = [n] * (PLACES["Observation"] + PLACES["Invoice"])
    return result


@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_direct_import_exports_every_number_as_it_was_read(
    tmp_path: Path, mongodb: Any, workers: str
) -> None:
    write_files(tmp_path)
    command = ["import", str(tmp_path), "--mongodb-uri", MONGO, "--workers", workers]

    result = CliRunner().invoke(cli, command)
    again = CliRunner().invoke(cli, command)

    assert result.exit_code == 0, result.output
    assert exported(tmp_path / "out") == wanted()
    twice = len(NUMBERS) * 2
    assert _rows(again.output) == {  # the same text again: nothing changes
        "Invoice": ["0", "0", str(twice), "0", "0"],
        "Observation": ["0", "0", str(twice), "0", "0"],
    }


def test_a_dry_run_accepts_every_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    write_files(tmp_path)

    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--dry-run", "--workers", "1"])

    assert result.exit_code == 0, result.output
    assert _rows(result.output) == {
        "Invoice": [str(len(NUMBERS) * 2), "0", "0", "0", "0"],
        "Observation": [str(len(NUMBERS) * 2), "0", "0", "0", "0"],
    }


def test_an_import_over_http_stores_every_number_as_it_was_read(
    tmp_path: Path, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    write_files(tmp_path)

    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--url", gateway_url])

    assert result.exit_code == 0, result.output
    with httpx.Client(base_url=gateway_url) as client:
        bodies = [
            json.dumps(entry["resource"])  # only to find each resource's tag; numbers below
            for kind in ("Observation", "Invoice")
            for entry in client.get(f"/{kind}", params={"_count": "100"}).json()["entry"]
        ]
        texts = [
            client.get(f"/{json.loads(b)['resourceType']}/{json.loads(b)['id']}").text
            for b in bodies
        ]
    assert served(texts) == wanted()
