"""`fhir-gateway import --from {app}` and `export --to {app}` end to end (the toy app)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from gateway.cli.main import cli
from gateway.services.transaction import execute
from tests.mappers.apps.toy import toy_app  # noqa: F401 (a fixture)
from tests.services.test_import_cli import MONGO, gateway_url, mongodb  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("toy_app", "mongodb", "undone_units")

RECORDS = {
    "clinics": [{"id": 7, "name": "Lakeside"}],
    "people": [{"id": "p1", "name": "Ann", "sex": "F", "clinic_id": 7, "password_hash": "h"}],
    "visits": [{"id": 1, "person_id": "p1", "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": 72.50}],
    "recipes": [{"title": "soup"}],
}  # fmt: skip


@pytest.fixture
def undone_units(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded store stands in for MongoDB (`mongodb`), so its units of work too: it has
    no sessions, and undoes a failed transaction's writes instead (gateway.store.unit)."""
    atomic = execute.atomic
    monkeypatch.setattr(
        execute, "atomic", lambda client, *, embedded: atomic(client, embedded=True)
    )


def write(path: Path, records: Any) -> Path:
    path.write_bytes(orjson.dumps(records).replace(b"72.5", b"72.50"))
    return path


def rows(output: str) -> dict[str, list[str]]:
    """The report table's rows: type -> created, updated, unchanged, deleted."""
    found = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃|").split("│")]
        if len(cells) == 5 and cells[1].isdigit():
            found[cells[0]] = cells[1:]
    return found


def test_an_import_reports_types_skips_and_drops_and_a_rerun_changes_nothing(
    tmp_path: Path,
) -> None:
    command = ["import", "--from", "toy", str(write(tmp_path / "toy.json", RECORDS)), "--mongodb-uri", MONGO]  # fmt: skip
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert rows(result.output) == {t: ["1", "0", "0", "0"] for t in ("Encounter", "Observation", "Organization", "Patient")}  # fmt: skip
    assert "skipped 1 `recipes` row(s): a recipe is not a health record." in result.output
    assert "dropped `people.password_hash` (a secret) from 1 row(s)" in result.output
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0, again.output
    assert rows(again.output) == {t: ["0", "0", "1", "0"] for t in ("Encounter", "Observation", "Organization", "Patient")}  # fmt: skip


def test_a_row_reimported_with_less_reports_what_it_no_longer_makes_deleted(
    tmp_path: Path,
) -> None:
    first = write(tmp_path / "toy.json", RECORDS)
    visit = {k: v for k, v in RECORDS["visits"][0].items() if k != "heart_rate"}
    second = write(tmp_path / "less.json", {"visits": [visit]})
    command = ["import", "--from", "toy", str(first), str(second), "--mongodb-uri", MONGO]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert rows(result.output) == {
        "Encounter": ["1", "0", "1", "0"],
        "Observation": ["1", "0", "0", "1"],
        "Organization": ["1", "0", "0", "0"],
        "Patient": ["1", "0", "0", "0"],
    }


def test_a_bad_file_prints_its_issues_stores_nothing_and_exits_2(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.json", {**RECORDS, "people": [{"id": "p1", "name": "Ann", "sex": "X"}]}
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    good = write(tmp_path / "good.json", {"clinics": RECORDS["clinics"]})
    result = CliRunner().invoke(cli, ["import", "--from", "toy", str(bad), str(broken), str(good), "--mongodb-uri", MONGO])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"{bad}: refused, nothing of it was stored." in result.output
    assert "toy `people` row 0, field `sex`: Input should be 'M' or 'F'." in result.output
    assert f"{broken}: refused" in result.output
    assert rows(result.output) == {"Organization": ["1", "0", "0", "0"]}  # the good file alone
    assert "2 file(s) refused." in result.output
    assert f"stored {bad}" not in result.output  # a refused file is never said to be stored


def test_an_unknown_app_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", "--from", "nope", str(write(tmp_path / "a.json", {})), "--mongodb-uri", MONGO])  # fmt: skip
    assert result.exit_code == 2
    assert "`nope` is not an app of this gateway" in result.output


def test_an_sqlite_database_file_is_imported_as_its_tables(tmp_path: Path) -> None:
    database = tmp_path / "toy.db"
    with sqlite3.connect(database) as connection:
        connection.executescript("""
            CREATE TABLE clinics (id integer PRIMARY KEY, name text NOT NULL);
            CREATE TABLE people (id text PRIMARY KEY, name text NOT NULL, sex text, clinic_id integer);
            CREATE TABLE audit (id integer);
            INSERT INTO clinics VALUES (7, 'Lakeside');
            INSERT INTO people VALUES ('p1', 'Ann', NULL, 7);
        """)
    result = CliRunner().invoke(cli, ["import", "--from", "toy", str(database), "--mongodb-uri", MONGO])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert rows(result.output) == {
        "Organization": ["1", "0", "0", "0"],
        "Patient": ["1", "0", "0", "0"],
    }
    assert "tables that are no entity of `toy`, not read: audit" in result.output


def test_an_export_writes_the_records_an_import_takes(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["import", "--from", "toy", str(write(tmp_path / "toy.json", RECORDS)), "--mongodb-uri", MONGO])  # fmt: skip
    one = tmp_path / "p1.json"
    result = CliRunner().invoke(cli, ["export", "--to", "toy", "--patient", "p1", str(one), "--mongodb-uri", MONGO])  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = (
        b'{"people":[{"id":"p1","name":"Ann","sex":"F","clinic_id":7}],"visits":[{"id":1,"person_id":"p1",'
        b'"clinic_id":7,"at":"2026-01-02T10:00:00Z","heart_rate":72.50}]}'
    )
    assert orjson.dumps(orjson.loads(one.read_bytes())) == orjson.dumps(orjson.loads(expected))
    assert b"72.50" in one.read_bytes()
    every = tmp_path / "all.json"
    assert CliRunner().invoke(cli, ["export", "--to", "toy", str(every), "--mongodb-uri", MONGO]).exit_code == 0  # fmt: skip
    assert orjson.loads(every.read_bytes()) == orjson.loads(one.read_bytes())
    back = CliRunner().invoke(cli, ["import", "--from", "toy", str(every), "--mongodb-uri", MONGO])
    assert rows(back.output) == {t: ["0", "0", "1", "0"] for t in ("Encounter", "Observation", "Patient")}  # fmt: skip


def test_an_export_of_an_unknown_patient_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--to", "toy", "--patient", "p9", str(tmp_path / "x.json"), "--mongodb-uri", MONGO])  # fmt: skip
    assert result.exit_code == 2
    assert "No Patient has identifier" in result.output


def test_over_http_into_a_running_gateway(
    tmp_path: Path,
    gateway_url: str,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    records = write(tmp_path / "toy.json", RECORDS)
    bad = write(tmp_path / "bad.json", {"people": [{"id": "p2"}]})
    result = CliRunner().invoke(cli, ["import", "--from", "toy", str(records), str(bad), "--url", gateway_url])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "/apps/toy/records" in result.output
    assert rows(result.output) == {t: ["1", "0", "0", "0"] for t in ("Encounter", "Observation", "Organization", "Patient")}  # fmt: skip
    assert "toy `people` row 0, field `name`: Field required." in result.output
