"""Rewrite README.md's table of the seed apps' entities and fields from the adapters.

    python scripts/build_apps_table.py          # rewrite the table between the markers
    python scripts/build_apps_table.py --check  # exit 1 when the README's table is stale

The table (mappers.apps.docs) covers every adapter that imports; run it after changing an
adapter's fields or reasons (a test fails until then).
"""

from __future__ import annotations

import sys
from pathlib import Path

from gateway.services.apps.registry import available
from mappers.apps.docs import END, START, tables

README = Path(__file__).resolve().parent.parent / "README.md"


def rewritten(text: str, table: str) -> str:
    before, start, rest = text.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"README.md lacks the markers {START} ... {END}.")
    return f"{before}{START}\n\n{table}\n{END}{after}"


def main() -> int:
    text = README.read_text()
    new = rewritten(text, tables(available()))
    if "--check" in sys.argv:
        if new != text:
            print("README.md's apps table is stale: run python scripts/build_apps_table.py")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
