"""The README's table of every seed entity and field with its FHIR home, or why it has none.

Generated from the adapters' own declarations (`Entity.fields`, `Entity.no_home`, `secrets`),
so the table cannot drift from what the mappings do: `scripts/build_apps_table.py` writes it
into README.md between the markers, and a test fails when the two differ.
"""

from __future__ import annotations

from collections.abc import Iterable

from mappers.apps.base import AppAdapter, Entity

START = "<!-- apps-table:start -->"
END = "<!-- apps-table:end -->"


def heading(adapter: AppAdapter) -> str:
    return f"### {adapter.title} (`{adapter.name}`)"


def fields_table(adapter: AppAdapter) -> str:
    """One app's section: a heading, its seeds, and a row per entity field."""
    lines = [
        heading(adapter),
        "",
        f"Seed: {', '.join(f'`{seed}`' for seed in adapter.seeds)}. "
        f"`?patient=` names a `{adapter.patient_entity}` row.",
        "",
        "| entity | field | FHIR home |",
        "| --- | --- | --- |",
    ]
    for entity in adapter.entities:
        lines += [f"| `{entity.name}` | {field} | {where} |" for field, where in _rows(entity)]
    return "\n".join(lines) + "\n"


def tables(adapters: Iterable[AppAdapter]) -> str:
    """Every app's section, in order, as the README holds them between the markers."""
    return "\n".join(fields_table(adapter) for adapter in adapters)


def _rows(entity: Entity) -> list[tuple[str, str]]:
    if entity.to_fhir is None or entity.model is None:
        return [("(every field)", f"no home: {_cell(entity.no_home or '')}")]
    rows = []
    for name, home in entity.fields.items():
        text = (
            _cell(home.where) if home.where is not None else f"no home: {_cell(home.reason or '')}"
        )
        if name in entity.secrets:
            text = f"**secret**, dropped and reported; {text}"
        nested = [path for path in entity.secrets if path.startswith(f"{name}.")]
        if nested:
            text += f" (**secret**, dropped and reported: {', '.join(f'`{p}`' for p in nested)})"
        rows.append((f"`{name}`", text))
    return rows


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell: one line, pipes and angle brackets escaped (`<SID>`
    would be read as an HTML tag)."""
    text = " ".join(text.split()).replace("|", "\\|")
    return text.replace("<", "&lt;").replace(">", "&gt;")
