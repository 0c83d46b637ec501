"""bench/common.py's `--mongodb-uri`: the benches that take it run on the embedded store by
default and, given a URI, on a new database per run (dropped at exit), without printing it."""

from __future__ import annotations

import argparse

import pytest

from bench import common

URI = "mongodb://bench:secret@db.example:27017/?replicaSet=rs0"


@pytest.fixture(autouse=True)
def fresh_choice(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each test chooses anew; atexit hooks are recorded, not installed."""
    monkeypatch.setattr(common, "_mongodb_uri", None)
    monkeypatch.setattr(common, "_created", [])
    monkeypatch.delenv(common.MONGODB_URI_ENV, raising=False)
    registered: list[object] = []
    monkeypatch.setattr(common.atexit, "register", registered.append)
    return registered


def parsed(monkeypatch: pytest.MonkeyPatch, *argv: str) -> argparse.Namespace:
    monkeypatch.setattr("sys.argv", ["bench", *argv])
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=3)
    return common.parse_args(parser)


def test_without_a_uri_the_bench_runs_on_the_embedded_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parsed(monkeypatch, "--patients", "5")
    assert (args.patients, args.mongodb_uri) == (5, None)
    assert common.store_settings().mongodb_uri is None
    assert common.store_env() == {}
    assert capsys.readouterr().out == "store: embedded\n"


def test_a_uri_gives_each_run_a_new_database_and_never_prints_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fresh_choice: list[object]
) -> None:
    parsed(monkeypatch, "--mongodb-uri", URI)
    first, second = common.store_settings(), common.store_settings()
    env = common.store_env()

    assert (first.mongodb_uri, first.effective_auth_mode) == (URI, "off")
    names = [first.mongodb_database, second.mongodb_database, env["MONGODB_DATABASE"]]
    assert len(set(names)) == 3
    assert all(n.startswith(common.DATABASE_PREFIX) for n in names)
    assert env == {"MONGODB_URI": URI, "MONGODB_DATABASE": names[2], "AUTH_MODE": "off"}
    assert common._created == names  # dropped at exit, by one hook
    assert fresh_choice == [common._drop_created]
    assert capsys.readouterr().out == "store: MongoDB\n"


def test_the_environment_names_the_uri_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(common.MONGODB_URI_ENV, URI)
    assert parsed(monkeypatch).mongodb_uri == URI
    assert common.store_settings().mongodb_uri == URI
