"""gateway.services.apps.sqlite: an app's SQLite database file read as its records. The
database is NoraHealth's shape (seed 001: ULID text ids, Unix-epoch INTEGER timestamps,
JSON-text columns, Kysely's migration tables), written here with sqlite3."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.errors import InvalidRequest
from gateway.services.apps.sqlite import is_sqlite, read_database
from mappers.apps.base import AppAdapter, Entity

NORA = AppAdapter(
    "norahealth", "NoraHealth", ("001",),
    (Entity("users", None, no_home="-"), Entity("progress_metrics", None, no_home="-"),
     Entity("health_profiles", None, no_home="-")),
    "users", lambda view: [],
)  # fmt: skip


def nora_database(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.executescript("""
            CREATE TABLE users (id text PRIMARY KEY NOT NULL, email text, display_name text,
                status text NOT NULL, role text NOT NULL, profile_picture_id text,
                verified_at integer, created_at integer NOT NULL, updated_at integer,
                deleted_at integer);
            CREATE TABLE progress_metrics (id text PRIMARY KEY NOT NULL, user_id text NOT NULL,
                type text NOT NULL, value text NOT NULL, date integer NOT NULL,
                created_at integer NOT NULL);
            CREATE TABLE "health_profiles" (id text PRIMARY KEY NOT NULL, user_id text NOT NULL,
                dietary_exclusions text NOT NULL) WITHOUT ROWID;
            CREATE TABLE kysely_migration (name text PRIMARY KEY, timestamp text);
            CREATE TABLE kysely_migration_lock (id text PRIMARY KEY, is_locked integer);
            CREATE TABLE pantry_inventory (id text PRIMARY KEY);
            CREATE TABLE counters (id integer PRIMARY KEY AUTOINCREMENT);
            INSERT INTO users VALUES ('01HU1', 'ann@example.org', 'Ann', 'VERIFIED', 'USER',
                NULL, 1767225600, 1767225000, NULL, NULL);
            INSERT INTO progress_metrics VALUES ('01HM1', '01HU1', 'WEIGHT', '72.5', 1767312000,
                1767312000), ('01HM2', '01HU1', 'STREAK', '{"days": 4}', 1767398400, 1767398400);
            INSERT INTO health_profiles VALUES ('01HP1', '01HU1', '["DAIRY"]');
            INSERT INTO kysely_migration VALUES ('001_init', '2026-01-01');
        """)
    return path


def test_entity_tables_become_rows_with_their_sqlite_values(tmp_path: Path) -> None:
    database = read_database(NORA, nora_database(tmp_path / "nora.db"))
    assert database.records == {
        "health_profiles": [{"id": "01HP1", "user_id": "01HU1", "dietary_exclusions": '["DAIRY"]'}],
        "progress_metrics": [
            {"id": "01HM1", "user_id": "01HU1", "type": "WEIGHT", "value": "72.5", "date": 1767312000, "created_at": 1767312000},
            {"id": "01HM2", "user_id": "01HU1", "type": "STREAK", "value": '{"days": 4}', "date": 1767398400, "created_at": 1767398400},
        ],
        "users": [{"id": "01HU1", "email": "ann@example.org", "display_name": "Ann", "status": "VERIFIED",
                   "role": "USER", "profile_picture_id": None, "verified_at": 1767225600,
                   "created_at": 1767225000, "updated_at": None, "deleted_at": None}],
    }  # fmt: skip
    # sqlite_sequence and Kysely's tables are bookkeeping; the others are reported
    assert database.unknown == ["counters", "pantry_inventory"]


def test_a_sqlite_file_is_known_by_its_header(tmp_path: Path) -> None:
    assert is_sqlite(nora_database(tmp_path / "nora.db"))
    (tmp_path / "records.json").write_text('{"users": []}')
    assert not is_sqlite(tmp_path / "records.json")
    (tmp_path / "empty").write_bytes(b"")
    assert not is_sqlite(tmp_path / "empty")


def test_a_damaged_database_is_a_400(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(nora_database(tmp_path / "nora.db").read_bytes()[:200])
    with pytest.raises(InvalidRequest) as raised:
        read_database(NORA, damaged)
    assert raised.value.status == 400
    assert "damaged.db" in raised.value.diagnostics
