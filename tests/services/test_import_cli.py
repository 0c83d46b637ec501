"""`fhir-gateway import` end to end: targets, messages, the summary, the error report, exit codes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from typer.testing import CliRunner

from bench.common import free_port
from gateway.cli import importing
from gateway.cli.main import cli
from gateway.http.app import create_app
from gateway.services import context
from gateway.services.context import open_services
from gateway.settings import Settings
from gateway.store.embedded import embedded_client
from tests.api.test_errors import issue, outcome
from tests.conftest import make_settings
from tests.services.test_importer import glucose, lab_bundle, patient

MONGO = "mongodb://mongo.example:27017"


@pytest.fixture
def mongodb(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An embedded store standing in for the MongoDB that `--mongodb-uri` names."""
    client = embedded_client()
    monkeypatch.setattr(context, "make_client", lambda settings: client)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    return client


@pytest.fixture
def gateway_url() -> Iterator[str]:
    """A gateway on the embedded store, served by uvicorn in a thread."""
    port = free_port()
    config = uvicorn.Config(create_app(make_settings()), port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/fhir"
    server.should_exit = True
    thread.join(timeout=10)


def _files(directory: Path) -> None:
    (directory / "labs.json").write_text(json.dumps(lab_bundle("K-1", [90, 180])))
    lines = [
        orjson.dumps(patient("p9", "K-2")).decode(),
        "{not json",
        json.dumps({**glucose("Patient/p9", 99), "status": "bogus"}),
        json.dumps(glucose("Patient/p9", 101)),
    ]
    (directory / "more.ndjson").write_text("\n".join(lines))


def _rows(output: str) -> dict[str, list[str]]:
    """The summary table's rows: type -> created, updated, unchanged, skipped, failed."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃|").split("│")]
        if len(cells) == 6 and cells[1].isdigit():
            rows[cells[0]] = cells[1:]
    return rows


def test_a_direct_import_reports_each_failure_and_exits_1(tmp_path: Path, mongodb: Any) -> None:
    _files(tmp_path)
    errors = tmp_path / "errors.ndjson"
    result = CliRunner().invoke(
        cli, ["import", str(tmp_path), "--mongodb-uri", MONGO, "--errors", str(errors)]
    )
    assert result.exit_code == 1, result.output
    assert "MongoDB at mongodb://mongo.example:27017" in result.output
    assert f"reading {tmp_path / 'labs.json'}" in result.output  # plain lines: not a terminal
    assert _rows(result.output) == {
        "Observation": ["3", "0", "0", "0", "1"],
        "Patient": ["2", "0", "0", "0", "0"],
        "unknown": ["0", "0", "0", "0", "1"],
    }
    reported = [orjson.loads(line) for line in errors.read_bytes().splitlines()]
    assert [(Path(r["file"]).name, r["position"]) for r in reported] == [
        ("more.ndjson", "line 2"),
        ("more.ndjson", "line 3"),
    ]
    assert reported[1]["outcome"]["resourceType"] == "OperationOutcome"

    async def stored() -> int:
        services = await open_services(Settings(mongodb_uri=MONGO))
        return int(await services.store("Observation").collection.count_documents({}))

    assert asyncio.run(stored()) == 3


def test_a_clean_rerun_changes_nothing_and_exits_0(tmp_path: Path, mongodb: Any) -> None:
    (tmp_path / "labs.json").write_text(json.dumps(lab_bundle("L-1", [70, 75])))
    command = ["import", str(tmp_path), "--mongodb-uri", MONGO, "--workers", "1"]
    assert CliRunner().invoke(cli, command).exit_code == 0
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0, again.output
    assert _rows(again.output) == {
        "Observation": ["0", "0", "2", "0", "0"],
        "Patient": ["0", "0", "1", "0", "0"],
    }


def test_a_dry_run_needs_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    (tmp_path / "labs.json").write_text(json.dumps(lab_bundle("M-1", [70])))
    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "nowhere (dry run)" in result.output
    assert _rows(result.output)["Observation"] == ["1", "0", "0", "0", "0"]


def test_over_http_into_a_running_gateway(
    tmp_path: Path, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    _files(tmp_path)
    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--url", gateway_url])
    assert result.exit_code == 1, result.output
    assert f"importing into the gateway at {gateway_url}" in result.output
    assert _rows(result.output)["Observation"] == ["3", "0", "0", "0", "1"]
    again = CliRunner().invoke(cli, ["import", str(tmp_path / "labs.json"), "--url", gateway_url])
    assert again.exit_code == 0, again.output
    rows = _rows(again.output)  # PUTs that change nothing make no version: unchanged
    assert set(rows) == {"Observation", "Patient"}
    assert all(row[:2] == ["0", "0"] and row[4] == "0" for row in rows.values()), rows
    assert rows["Observation"][2] != "0"


def test_without_a_target_it_names_the_default_gateway_and_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    nobody = f"http://127.0.0.1:{free_port()}/fhir"
    monkeypatch.setattr(importing, "DEFAULT_URL", nobody)
    (tmp_path / "labs.json").write_text(json.dumps(lab_bundle("N-1", [70])))
    result = CliRunner().invoke(cli, ["import", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert f"No --url or MONGODB_URI given: importing into the gateway at {nobody}" in (
        " ".join(result.output.split())
    )
    assert "No FHIR gateway answers" in result.output
    assert "fhir-gateway serve" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--url", "http://x/fhir", "--mongodb-uri", MONGO], "not both", id="both"),
        pytest.param([], "No such file", id="missing-path"),
    ],
)
def test_bad_invocations_exit_2(
    tmp_path: Path, arguments: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    path = tmp_path / ("labs.json" if arguments else "absent.json")
    if arguments:
        path.write_text(json.dumps(lab_bundle("O-1", [70])))
    result = CliRunner().invoke(cli, ["import", str(path), *arguments])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_every_target_reports_a_line_without_resource_type_alike(
    tmp_path: Path, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bad file through the direct import, its dry run and the HTTP target: the same
    counts, the same error report (it was a KeyError traceback over HTTP)."""
    monkeypatch.delenv("MONGODB_URI", raising=False)
    store = embedded_client()  # the direct target's MongoDB; the gateway keeps its own store
    monkeypatch.setattr(context, "make_client", lambda settings: store)
    data = tmp_path / "data"
    data.mkdir()
    lines = [patient("p1", "W-1"), {"status": "final"}, {"resourceType": "Banana"},
             glucose("Patient/p1", 90)]  # fmt: skip
    (data / "bad.ndjson").write_text("\n".join(json.dumps(line) for line in lines))
    targets = {  # the dry run first: it reads the store the direct import then writes
        "dry-run": ["--dry-run"],
        "direct": ["--mongodb-uri", MONGO],
        "http": ["--url", gateway_url],
    }
    seen = {}
    for name, arguments in targets.items():
        errors = tmp_path / f"{name}.ndjson"
        result = CliRunner().invoke(cli, ["import", str(data), "--errors", str(errors), *arguments])
        assert result.exit_code == 1, result.output
        seen[name] = (_rows(result.output), errors.read_text())
    rows, report = seen["direct"]
    assert rows == {
        "Banana": ["0", "0", "0", "0", "1"],
        "Observation": ["1", "0", "0", "0", "0"],
        "Patient": ["1", "0", "0", "0", "0"],
        "unknown": ["0", "0", "0", "0", "1"],
    }
    source = str(data / "bad.ndjson")
    assert [orjson.loads(line) for line in report.splitlines()] == [
        {"file": source, "position": "line 2", "outcome": outcome(issue(
            "required", "The resource has no `resourceType`.", expression="resourceType"))},
        {"file": source, "position": "line 3", "outcome": outcome(issue(
            "not-supported", "Unknown resource type `Banana`.", expression="resourceType"))},
    ]  # fmt: skip
    assert seen["dry-run"] == seen["http"] == seen["direct"]


def test_over_http_a_retried_entry_keeps_the_references_of_its_own_bundle(
    tmp_path: Path, gateway_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent again at the end for its conditional reference to a later file's Practitioner,
    the Encounter still points at the patient of its Bundle (it used to keep the `urn:`)."""
    monkeypatch.delenv("MONGODB_URI", raising=False)
    urn = "urn:uuid:30000000-0000-4000-8000-000000000003"
    encounter = {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
                 "subject": {"reference": urn},
                 "participant": [{"individual": {"reference": "Practitioner?identifier=http://npi|3"}}]}  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": urn, "resource": patient(None, "Y-1")}, {"resource": encounter}]}  # fmt: skip
    practitioner = {"resourceType": "Practitioner", "identifier": [{"system": "http://npi", "value": "3"}]}  # fmt: skip
    (tmp_path / "a_bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "b_practitioners.ndjson").write_text(json.dumps(practitioner))
    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--url", gateway_url])
    assert result.exit_code == 0, result.output
    with httpx.Client(base_url=gateway_url) as client:
        [stored] = [e["resource"] for e in client.get("/Encounter").json()["entry"]]
        [person] = [e["resource"] for e in client.get("/Patient").json()["entry"]]
        [doctor] = [e["resource"] for e in client.get("/Practitioner").json()["entry"]]
    assert stored["subject"] == {"reference": f"Patient/{person['id']}"}
    assert stored["participant"][0]["individual"] == {"reference": f"Practitioner/{doctor['id']}"}
