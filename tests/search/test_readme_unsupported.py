"""The README's table of unsupported search parameters is what the gateway reports."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "readme_unsupported.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_unsupported", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_table_equals_unsupported_parameters() -> None:
    script = _script()
    readme = script.README.read_text("utf-8")
    assert script.with_table(readme) == readme, "run `python scripts/readme_unsupported.py`"


def test_the_table_names_each_parameter_with_its_reason() -> None:
    table = _script().table()
    assert "| Location | `near` | special parameters" in table
    assert "| every type | `_text` | full-text search is not offered |" in table
