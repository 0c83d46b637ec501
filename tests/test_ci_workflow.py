"""The CI workflow runs what the README says: its test command is the README's and .ci/run's,
its real-MongoDB job uses the documented URI and command, and every bench it runs on MongoDB
takes the store option."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from bench import common
from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def runs(job: str) -> list[str]:
    return [step["run"] for step in workflow()["jobs"][job]["steps"] if "run" in step]


def readme_test_command() -> str:
    """The Quick start's test command, its comment aside."""
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    [line] = [line for line in quick_start.splitlines() if line.startswith("python3 dev.py test ")]
    return line.split("#")[0].strip()


def ci_run_command(path: Path = ROOT / ".ci" / "run") -> str:
    [line] = [line for line in path.read_text().splitlines() if "dev.py" in line]
    return line.split("#")[0].strip()


def test_the_workflow_parses_and_runs_on_push_and_pull_request() -> None:
    loaded = workflow()
    triggers = loaded.get("on", loaded.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert set(loaded["jobs"]) == {"test", "mongodb"}


def test_the_test_job_runs_the_readmes_command_on_each_python() -> None:
    assert readme_test_command() == ci_run_command() == "python3 dev.py test"
    fetch, test = runs("test")
    assert test == readme_test_command()
    assert fetch.startswith("python3 .ci/fetch_samples.py ")  # else the corpus tests skip
    matrix = workflow()["jobs"]["test"]["strategy"]["matrix"]
    assert matrix["python-version"] == ["3.11", "3.12"]


def test_the_mongodb_job_runs_the_marked_suite_on_a_replica_set() -> None:
    job = workflow()["jobs"]["mongodb"]
    uri = job["env"]["FHIR_GATEWAY_TEST_MONGODB_URI"]
    assert uri == "mongodb://localhost:27017/?replicaSet=rs0&directConnection=true"
    start, suite, *_ = runs("mongodb")
    assert "mongo:7 --replSet rs0 --bind_ip_all" in start
    assert "rs.initiate({_id: 'rs0'" in start
    assert suite == f"{readme_test_command()} -m mongodb"
    readme = (ROOT / "README.md").read_text()
    assert "python3 dev.py test -m mongodb" in readme


def test_every_bench_run_on_mongodb_takes_the_store_option() -> None:
    [benches] = [run for run in runs("mongodb") if "-m bench." in run]
    modules = [
        shlex.split(line)[2]
        for line in benches.splitlines()
        if re.match(r"\.venv/bin/python", line)
    ]
    assert modules == ["bench.bench_crud", "bench.bench_transaction", "bench.bench_search"]
    for name in modules:
        assert importlib.import_module(name).parse_args is common.parse_args, name
