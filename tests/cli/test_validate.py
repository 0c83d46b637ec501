"""`fhir-gateway validate`: findings per resource in the import's report format, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from gateway.cli.main import cli
from tests.api.validate_fixtures import (
    BODY_WEIGHT,
    BP,
    blood_pressure,
    body_weight,
    errors,
    narrated,
)

SLICE = ("Observation.component", "Observation.component:DiastolicBP")


def ndjson(path: Path, *lines: object) -> Path:
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line)
                              for line in lines) + "\n")  # fmt: skip
    return path


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *arguments])
    return result.exit_code, result.stdout, result.stderr


def test_valid_files_exit_0_with_a_summary(tmp_path: Path) -> None:
    path = ndjson(tmp_path / "ok.ndjson", blood_pressure(BP), body_weight("[lb_av]"))
    code, out, err = run(str(path))
    assert (code, out) == (0, ""), err
    assert "2 resources" in err
    assert "2 valid, 0 with errors" in err


def test_a_bad_line_is_reported_in_the_import_format_and_exits_1(tmp_path: Path) -> None:
    path = ndjson(tmp_path / "vitals.ndjson", blood_pressure(BP),
                  blood_pressure(BP, diastolic=False), "{not json")  # fmt: skip
    code, out, err = run(str(path), "--format", "json")
    assert code == 1, err
    reports = [orjson.loads(line) for line in out.splitlines()]
    assert [(r["file"], r["position"]) for r in reports] == [
        (str(path), "line 2"),
        (str(path), "line 3"),
    ]
    assert SLICE in errors(reports[0]["outcome"])
    assert "1 valid, 2 with errors" in err


def test_text_lines_name_file_position_severity_and_path(tmp_path: Path) -> None:
    path = ndjson(tmp_path / "v.ndjson", blood_pressure(BP, diastolic=False))
    code, out, _ = run(str(path))
    assert code == 1
    assert f"{path} line 1: error Observation.component: Observation.component:DiastolicBP" in out


def test_a_profile_option_applies_to_every_resource(tmp_path: Path) -> None:
    path = ndjson(tmp_path / "v.ndjson", blood_pressure(diastolic=False))
    assert run(str(path))[0] == 0
    code, out, _ = run(str(path), "--profile", BP, "--format", "json")
    assert code == 1
    assert SLICE in errors(orjson.loads(out)["outcome"])


def test_warnings_alone_are_reported_on_request_and_exit_0(tmp_path: Path) -> None:
    claimed = narrated(
        {"resourceType": "Patient", "meta": {"profile": ["http://example.org/nope"]}}
    )
    path = str(ndjson(tmp_path / "p.ndjson", claimed))
    assert run(path, "--format", "json")[:2] == (0, "")
    code, out, _ = run(path, "--format", "json", "--warnings")
    assert code == 0
    issues = orjson.loads(out)["outcome"]["issue"]
    assert [issue["severity"] for issue in issues] == ["warning"]


def test_bundles_are_read_entry_by_entry(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": blood_pressure(BP)}, {"resource": body_weight("cm", BODY_WEIGHT)}]}  # fmt: skip
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    code, out, _ = run(str(path), "--format", "json")
    assert code == 1
    assert [orjson.loads(line)["position"] for line in out.splitlines()] == ["entry 1"]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        pytest.param(["missing.ndjson"], "missing.ndjson", id="no-such-file"),
        pytest.param(["--profile", "http://example.org/nope"], "http://example.org/nope",
                     id="unknown-profile"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_naming_the_problem(
    tmp_path: Path, arguments: list[str], named: str
) -> None:
    ndjson(tmp_path / "ok.ndjson", blood_pressure(BP))
    paths = [str(tmp_path / a) if a.endswith(".ndjson") else a for a in arguments]
    if "--profile" in paths:
        paths.insert(0, str(tmp_path / "ok.ndjson"))
    code, _, err = run(*paths)
    assert code == 2
    assert named in err.replace("\n", "")


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    path = ndjson(tmp_path / "ok.ndjson", blood_pressure(BP))
    assert run(str(path), "--format", "xml")[0] == 2


def test_worker_processes_report_the_same(tmp_path: Path) -> None:
    lines = [blood_pressure(BP, diastolic=i % 3 != 0) for i in range(450)]
    path = ndjson(tmp_path / "many.ndjson", *lines, "{not json")
    inline = run(str(path), "--format", "json", "--workers", "0")
    pooled = run(str(path), "--format", "json", "--workers", "1")
    assert inline[:2] == pooled[:2]
    assert inline[0] == 1
    positions = [orjson.loads(line)["position"] for line in pooled[1].splitlines()]
    assert positions == [f"line {i + 1}" for i in range(0, 450, 3)] + ["line 451"]
