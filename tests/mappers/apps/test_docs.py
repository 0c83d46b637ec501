"""mappers.apps.docs and README.md: the table of every seed entity and field, generated."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.services.apps.registry import app_adapter
from mappers.apps import APPS
from mappers.apps.base import AppAdapter, Entity, NativeRow, home, no_home
from mappers.apps.docs import END, START, fields_table, heading
from scripts.build_apps_table import rewritten
from tests.mappers.apps.toy import ADAPTER as TOY

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_table_of_an_app_names_every_field_home_reason_and_secret() -> None:
    assert fields_table(TOY) == (
        "### Toy Clinic (`toy`)\n"
        "\n"
        "Seed: `toy.md`. `?patient=` names a `people` row.\n"
        "\n"
        "| entity | field | FHIR home |\n"
        "| --- | --- | --- |\n"
        "| `clinics` | `id` | Organization.identifier |\n"
        "| `clinics` | `name` | Organization.name |\n"
        "| `people` | `id` | Patient.identifier |\n"
        "| `people` | `name` | Patient.name.text |\n"
        "| `people` | `sex` | Patient.gender |\n"
        "| `people` | `clinic_id` | Patient.managingOrganization |\n"
        "| `people` | `password_hash` | **secret**, dropped and reported; no home: a secret: dropped |\n"
        "| `people` | `createdAt` | no home: the row's own bookkeeping; FHIR's meta.lastUpdated is the server's |\n"
        "| `visits` | `id` | Encounter.identifier |\n"
        "| `visits` | `person_id` | Encounter.subject |\n"
        "| `visits` | `clinic_id` | Encounter.serviceProvider |\n"
        "| `visits` | `at` | Encounter.period.start |\n"
        "| `visits` | `heart_rate` | Observation.valueQuantity (LOINC 8867-4, /min) |\n"
        "| `recipes` | (every field) | no home: a recipe is not a health record. |\n"
    )


def test_the_script_rewrites_only_between_the_markers() -> None:
    text = f"# Title\n\n{START}\nold\n{END}\n\n## After\n"
    assert rewritten(text, "new\n") == f"# Title\n\n{START}\n\nnew\n\n{END}\n\n## After\n"
    with pytest.raises(SystemExit):
        rewritten("no markers", "new\n")


def _section(readme: str, adapter: AppAdapter) -> str | None:
    block = readme.split(START, 1)[1].split(END, 1)[0]
    start = block.find(heading(adapter))
    if start < 0:
        return None
    following = block.find("\n### ", start + 1)
    return block[start : following + 1 if following >= 0 else len(block)].strip() + "\n"


@pytest.mark.parametrize("app", list(APPS))
def test_the_readme_table_is_the_adapters(app: str) -> None:
    """Fails when an adapter's fields or reasons changed and the table was not rebuilt
    (`python scripts/build_apps_table.py`)."""
    adapter = app_adapter(app)
    section = _section(README.read_text("utf-8"), adapter)
    assert section == fields_table(adapter), "run python scripts/build_apps_table.py"


def test_cells_escape_markdown_and_name_nested_secrets() -> None:
    class Row(NativeRow):
        id: str
        settings: dict[str, str] | None = None

    entity = Entity(
        "User", Row,
        {"id": home("Patient.identifier (system <SID>/app/User)"),
         "settings": no_home("preferences | theme\n and model")},
        to_fhir=lambda row, ctx: [], secrets=("settings.apiKey",),
    )  # fmt: skip
    adapter = AppAdapter("app", "App", ("seed.txt",), (entity,), "User", lambda view: [])
    assert fields_table(adapter).splitlines()[-2:] == [
        "| `User` | `id` | Patient.identifier (system &lt;SID&gt;/app/User) |",
        "| `User` | `settings` | no home: preferences \\| theme and model (**secret**, dropped and reported: `settings.apiKey`) |",
    ]
