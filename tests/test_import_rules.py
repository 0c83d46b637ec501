"""The import rules in pyproject.toml (`[tool.importlinter]`) are real: each one breaks.

A rule that stays KEPT whatever is imported protects nothing (without
`include_external_packages`, `import fhir.resources` in the domain was never seen). Each case
copies the packages into a temporary directory, adds one forbidden import, runs lint-imports
there and expects the named contract to be broken; the untouched copy must pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "mappers")

LAYERS = "Layers: edges, services, store, mappers and search, domain"
EDGES = "Nothing imports the edges"
DOMAIN_FHIR = "The domain imports no FHIR"
NO_IO = "Mappers and the domain do no I/O"
ACYCLIC = "No import cycles"


def _copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", command, "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _inject(tree: Path, module: str, statement: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = tree / module.replace(".", "/") / "__init__.py"
    path.write_text(path.read_text() + f"\n{statement}  # injected by test_import_rules\n")


def test_the_project_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (LAYERS, EDGES, DOMAIN_FHIR, NO_IO, ACYCLIC):
        assert f"{contract} KEPT" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        pytest.param("gateway.domain.generic", "import fhir.resources", DOMAIN_FHIR, id="domain-fhir.resources"),
        pytest.param("gateway.domain.base", "import fhir_profiles", DOMAIN_FHIR, id="domain-fhir_profiles"),
        pytest.param("gateway.domain.patient", "import mappers.base", LAYERS, id="domain-mappers"),
        pytest.param("mappers.outcome", "import motor", NO_IO, id="mappers-motor"),
        pytest.param("mappers.base", "import pymongo", NO_IO, id="mappers-pymongo"),
        pytest.param("gateway.domain.base", "import httpx", NO_IO, id="domain-httpx"),
        pytest.param("gateway.search.model", "import gateway.http.app", EDGES, id="search-http"),
        pytest.param("mappers.base", "import gateway.cli.main", EDGES, id="mappers-cli"),
        pytest.param("gateway.demo_records", "import gateway.http.app", EDGES, id="demo-records-http"),
        pytest.param("gateway.search.model", "import gateway.services.search", LAYERS, id="search-services"),
        pytest.param("gateway.store", "import gateway.services.resources", LAYERS, id="store-services"),
        pytest.param("gateway.terminology.model", "import gateway.search.model", LAYERS, id="terminology-search"),
        pytest.param("gateway.domain.base", "import gateway.terminology", LAYERS, id="domain-terminology"),
        pytest.param("gateway.services.search", "import gateway.http.body", LAYERS, id="services-http"),
        pytest.param("gateway.auth.grant", "import gateway.services.resources", LAYERS, id="auth-services"),
        pytest.param("gateway.auth.scopes", "import gateway.store.repository", LAYERS, id="auth-store"),
        pytest.param("gateway.auth.grant", "import gateway.http.app", EDGES, id="auth-http"),
        pytest.param("gateway.store.collection", "import gateway.store.repository", ACYCLIC, id="cycle-store"),
        pytest.param("gateway.search.parameters", "import gateway.search.filters", ACYCLIC, id="cycle-search"),
    ],
)  # fmt: skip
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, statement: str, contract: str
) -> None:
    tree = _copy(tmp_path)
    _inject(tree, module, statement)
    result = _lint(tree)
    assert result.returncode != 0, result.stdout
    assert f"{contract} BROKEN" in result.stdout, result.stdout
