"""Write the README's table of R4 search parameters the gateway does not offer, with the reason.

The table is generated from `gateway.search.parameters.unsupported_parameters` (what the
CapabilityStatement documents and `Prefer: handling=strict` refuses), so the three never
disagree; tests/search/test_readme_unsupported.py checks the README holds this output.

Run: `python scripts/readme_unsupported.py` (rewrites the section between the markers).
"""

from __future__ import annotations

from pathlib import Path

from gateway.search.parameters import UNSUPPORTED, unsupported_parameters
from gateway.services.generic import kept_types

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- unsupported-parameters:start -->", "<!-- unsupported-parameters:end -->"


def table() -> str:
    """One row per parameter: every type's first, then each type's own, by type and code."""
    rows = [f"| every type | `{code}` | {why} |" for code, why in sorted(UNSUPPORTED.items())]
    rows += [
        f"| {resource_type} | `{code}` | {why} |"
        for resource_type in kept_types()
        for code, why in unsupported_parameters(resource_type).items()
        if code not in UNSUPPORTED
    ]
    return "\n".join(["| type | parameter | why not |", "|---|---|---|", *rows])


def with_table(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    README.write_text(with_table(README.read_text("utf-8")), "utf-8")
