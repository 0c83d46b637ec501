"""The import report's table, shared by `import` and `import --from`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.table import Table


def counts_table(counts: Mapping[str, Mapping[str, int]], outcomes: Sequence[str]) -> Table:
    """The import's table: one row per FHIR type, one column per outcome (`import` and
    `import --from` count different outcomes)."""
    table = Table(title="Import")
    table.add_column("type")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    for resource_type in sorted(counts):
        table.add_row(resource_type, *(str(counts[resource_type][o]) for o in outcomes))
    return table
