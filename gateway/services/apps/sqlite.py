"""An app's SQLite database file read as its records (`import --from norahealth app.db`).

NoraHealth keeps its data in SQLite (seed `001_…`), so its own database file can be imported
as it is: every table named as an entity of the app becomes that entity's rows, columns by
name, SQLite's values as they are (INTEGER epoch seconds, JSON-text columns as text), so the
adapter's models check them exactly as they check a JSON request. SQLite's own tables and the
migrator's bookkeeping are left out; any other table is reported, not guessed at.
https://www.sqlite.org/fileformat.html#the_database_header
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from gateway.errors import InvalidRequest
from gateway.jsonio import Json
from mappers.apps.base import AppAdapter

HEADER = b"SQLite format 3\x00"
# Kysely's migrator (NoraHealth's, seed 001 "Migrations") keeps these beside the data.
_BOOKKEEPING = ("kysely_migration", "kysely_migration_lock")


@dataclass(slots=True)
class Database:
    records: dict[str, list[Json]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # tables that are no entity of the app


def is_sqlite(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(HEADER)) == HEADER


def read_database(adapter: AppAdapter, path: Path) -> Database:
    """The rows of every table of `path` that is an entity of `adapter`, in table order."""
    database = Database()
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise InvalidRequest(f"`{path}` is not a readable SQLite database: {error}.") from error
    try:
        connection.row_factory = sqlite3.Row
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for table in tables:
            if table.startswith("sqlite_") or table in _BOOKKEEPING:
                continue
            if adapter.entity(table) is None:
                database.unknown.append(table)
                continue
            quoted = table.replace('"', '""')
            rows = connection.execute(f'SELECT * FROM "{quoted}"')  # a name sqlite_master gave
            database.records[table] = [dict(row) for row in rows]
    except sqlite3.Error as error:
        raise InvalidRequest(f"`{path}` could not be read as SQLite: {error}.") from error
    finally:
        connection.close()
    return database
