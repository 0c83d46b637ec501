"""The README's configuration table names every setting, and only settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_configuration_table_lists_exactly_the_settings() -> None:
    text = README.read_text("utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}
