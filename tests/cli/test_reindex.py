"""`fhir-gateway reindex`: options, the summary, exit codes."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gateway.cli import reindex as command
from gateway.cli.main import cli
from gateway.services import resources
from gateway.services.context import Services, open_services
from gateway.settings import Settings
from gateway.store.repository import ResourceStore
from tests.conftest import make_settings
from tests.store.test_reindex import CONDITION, OBSERVATION, corrupt

MONGO = "mongodb://unused.invalid:27017"  # never connected to: the store is substituted


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command runs on an embedded store holding a Condition and two Observations, one of
    which the current mapping refuses (its required `code` gone), all without their `index`."""

    async def populated(settings: Settings) -> Services:
        services = await open_services(make_settings())
        await resources.update(services.store("Condition"), "c-1", {**CONDITION, "id": "c-1"})
        for observation_id in ("o-1", "o-2"):
            observation = {**OBSERVATION, "id": observation_id}
            await resources.update(services.store("Observation"), observation_id, observation)
        for resource_type in ("Condition", "Observation"):
            await corrupt(services, resource_type, {"$unset": {"index": ""}})
        observations = services.storage.database[services.store("Observation").name]
        await observations.update_one({"_id": "o-2"}, {"$unset": {"code": ""}})
        return services

    monkeypatch.setattr(command, "open_for_reindex", populated)


def test_an_unknown_type_is_a_usage_error_naming_it() -> None:
    result = CliRunner().invoke(cli, ["reindex", "--type", "Condition", "--type", "Foo"])

    assert result.exit_code == 2
    assert "`Foo`" in result.output
    assert "Condition" not in result.output.split("keeps:")[1]


def test_without_a_database_nothing_is_reindexed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)

    result = CliRunner().invoke(cli, ["reindex"])

    assert result.exit_code == 2
    assert "MONGODB_URI" in result.output


@pytest.mark.usefixtures("stored")
def test_the_summary_counts_each_type_and_names_each_failure() -> None:
    result = CliRunner().invoke(cli, ["reindex", "--mongodb-uri", MONGO])

    assert result.exit_code == 1, result.output  # a failure
    rows = {line.split()[1]: line.split()[2:] for line in result.output.splitlines()
            if line.startswith("│ ") and line.split()[1] in ("Condition", "Observation")}  # fmt: skip
    assert rows["Condition"] == ["│", "1", "│", "1", "│", "0", "│", "0", "│", "0", "│"]
    assert rows["Observation"] == ["│", "2", "│", "1", "│", "0", "│", "0", "│", "1", "│"]
    assert "Observation/o-2" in result.output
    assert "Observation.code: Field required" in result.output


@pytest.mark.usefixtures("stored")
def test_type_selects_what_is_reindexed() -> None:
    result = CliRunner().invoke(cli, ["reindex", "--mongodb-uri", MONGO, "--type", "Condition"])

    assert result.exit_code == 0, result.output
    assert "Condition" in result.output
    assert "Observation" not in result.output


@pytest.mark.usefixtures("stored")
def test_an_interrupted_run_says_how_to_continue(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ResourceStore, "reindex", interrupted)  # Ctrl-C during the first batch

    result = CliRunner().invoke(cli, ["reindex", "--mongodb-uri", MONGO])

    assert result.exit_code == 130
    assert "Run the same command again to continue" in result.output
