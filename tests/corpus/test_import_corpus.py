"""The whole third-party corpus through the bulk importer, once for the module.

Files go in the order a user would name them: the Synthea companion batches (hospitals,
practitioners, which the newer Synthea bundles point at with conditional references), the
Synthea patient bundles, the HL7 R4 examples, then the Synthea Bulk Data NDJSON. What the files
hold is counted here with `json` and `gzip`, not with the gateway's readers:

- a Bundle of type transaction, batch, collection, searchset or *-response contributes its
  entries (one level deep: a Bundle inside an entry is one Bundle resource); any other Bundle
  (the `document` Bundle-father.json) is one Bundle resource;
- an entry without a resource (a GET or DELETE request, a response with no body) is not a
  resource: the importer counts it `skipped`, under the type its `request.url` names (else its
  `response.location`, else `unknown`).

Distinct resources follow the importer's matching rule: one per source `id` for every type but
Patient; a Patient is one per first full identifier (`system|value`, the first with both) when
it has one, else one per `id`. A resource with neither is one per content (all but id and meta).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from gateway.jsonio import Json
from gateway.services.context import Services, open_services
from gateway.services.exports import NdjsonSink, export, exported_types
from gateway.services.imports.pipeline import Importer
from gateway.services.imports.readers import Item, expand, read
from gateway.services.imports.report import Failure, Report
from tests.conftest import make_settings
from tests.corpus.test_round_trip import comparable

pytestmark = [pytest.mark.corpus, pytest.mark.asyncio(loop_scope="module")]

FOLDERS = ("synthea/companion", "synthea", "hl7-r4", "synthea-bulk-ndjson")
ENTRY_BUNDLES = frozenset(
    {"transaction", "batch", "collection", "searchset", "transaction-response", "batch-response"}
)
WRITTEN = ("created", "updated", "unchanged")


# What the files hold, counted without the gateway ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource-or-entry of a file: a Bundle entry, an NDJSON line or a whole file."""

    file: str
    position: str
    resource: Json | None
    request: Json | None = None
    response: Json | None = None


@dataclass(slots=True)
class Corpus:
    files: list[Path]
    resources: Counter[str] = field(default_factory=Counter)  # type -> resources in the files
    distinct: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # type -> identities
    skipped: Counter[str] = field(default_factory=Counter)  # type -> entries without a resource
    skipped_entries: list[tuple[str, str]] = field(default_factory=list)  # (file, position)


def corpus_files(root: Path) -> list[Path]:
    return [
        *sorted((root / "synthea" / "companion").glob("*.json")),
        *sorted((root / "synthea").glob("*.json")),
        *sorted((root / "hl7-r4").glob("*.json")),
        *sorted((root / "synthea-bulk-ndjson").glob("*.ndjson.gz")),
    ]


def entries(path: Path) -> Iterator[Entry]:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    yield Entry(path.name, f"line {number}", json.loads(line))
        return
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("resourceType") == "Bundle" and document.get("type") in ENTRY_BUNDLES:
        for index, entry in enumerate(document.get("entry") or []):
            resource = entry.get("resource")
            yield Entry(
                path.name,
                f"entry {index}",
                resource if isinstance(resource, dict) else None,
                entry.get("request"),
                entry.get("response"),
            )
    else:
        yield Entry(path.name, "resource", document)


def skipped_type(entry: Entry) -> str:
    """The type a resource-less entry names: `request.url`, else `response.location`."""
    for url in ((entry.request or {}).get("url"), (entry.response or {}).get("location")):
        if isinstance(url, str):
            name = url.lstrip("/").split("?")[0].split("/")[0]
            if name[:1].isupper():
                return name
    return "unknown"


def identity(resource: Json) -> tuple[str, str]:
    """What makes a resource distinct (the module docstring's rule)."""
    if resource["resourceType"] == "Patient":
        for identifier in resource.get("identifier") or []:
            if identifier.get("system") and identifier.get("value"):
                return ("identifier", f"{identifier['system']}|{identifier['value']}")
    if isinstance(resource.get("id"), str):
        return ("id", resource["id"])
    body = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return ("content", json.dumps(body, sort_keys=True))


def count(files: list[Path]) -> Corpus:
    corpus = Corpus(files)
    for path in files:
        for entry in entries(path):
            if entry.resource is None:
                corpus.skipped[skipped_type(entry)] += 1
                corpus.skipped_entries.append((entry.file, entry.position))
                continue
            resource_type = entry.resource["resourceType"]
            corpus.resources[resource_type] += 1
            corpus.distinct.setdefault(resource_type, set()).add(identity(entry.resource))
    return corpus


# The imports, shared by the module -------------------------------------------------------------


@dataclass(slots=True)
class Run:
    report: Report
    failures: list[Failure]
    versions: dict[str, dict[str, int]]  # type -> id -> version_id, after the run


@dataclass(slots=True)
class Imported:
    services: Services
    first: Run
    stored: dict[str, int]  # type -> current documents after the first run


def items(files: Iterable[Path]) -> Iterator[Item]:
    return (item for path in files for item in read(path))


async def versions(services: Services) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for resource_type in await exported_types(services, None, compartment=False):
        cursor = services.store(resource_type).collection.find({}, {"version_id": 1})
        found[resource_type] = {d["_id"]: d["version_id"] async for d in cursor}
    return found


async def run(services: Services, files: list[Path], *, keep_ids: bool = False) -> Run:
    failures: list[Failure] = []
    importer = Importer(services, keep_ids=keep_ids, on_failure=failures.append)
    report = await importer.run(items(files))
    return Run(report, failures, await versions(services))


@pytest.fixture(scope="module")
def corpus(fhir_samples: Path) -> Corpus:
    return count(corpus_files(fhir_samples))


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def imported(corpus: Corpus) -> AsyncIterator[Imported]:
    """The corpus imported once into an empty embedded store (new ids, the default)."""
    services = await open_services(make_settings())
    first = await run(services, corpus.files)
    stored = {t: len(ids) for t, ids in first.versions.items()}
    yield Imported(services, first, stored)
    services.close()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def second(imported: Imported, corpus: Corpus) -> Run:
    """The same files imported again into the same store."""
    return await run(imported.services, corpus.files)


@dataclass(slots=True)
class Reloaded:
    services: Services
    exported: dict[str, int]  # type -> resources exported
    run: Run


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def reloaded(
    imported: Imported, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Reloaded]:
    """Everything exported, then imported with keep_ids into a new empty embedded store."""
    directory = tmp_path_factory.mktemp("export")
    sink = NdjsonSink(directory)
    try:
        exported = await export(
            imported.services, types=None, since=None, patient_ids=None, sink=sink
        )
    finally:
        sink.close()
    services = await open_services(make_settings())
    reload = await run(services, expand([directory]), keep_ids=True)
    yield Reloaded(services, exported, reload)
    services.close()


# Helpers for the assertions --------------------------------------------------------------------


def described(failures: list[Failure]) -> list[str]:
    return [
        f"{Path(f.source).name} {f.position}: "
        + "; ".join(i.get("diagnostics", "") for i in f.outcome.get("issue", []))
        for f in failures
    ]


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """type -> (expected, actual) where they differ, over both dicts' types."""
    return {
        t: (expected.get(t, 0), actual.get(t, 0))
        for t in sorted(set(expected) | set(actual))
        if expected.get(t, 0) != actual.get(t, 0)
    }


def written(report: Report) -> dict[str, int]:
    return {
        t: sum(c[o] for o in WRITTEN)
        for t, c in report.counts.items()
        if any(c[o] for o in WRITTEN)
    }


def skipped(report: Report) -> dict[str, int]:
    return {t: c["skipped"] for t, c in report.counts.items() if c["skipped"]}


async def current_resources(services: Services, resource_type: str) -> dict[str, Json]:
    store = services.store(resource_type)
    found: dict[str, Json] = {}
    async for document in store.collection.find({}):
        resource = store.to_version(document).resource
        assert resource is not None
        found[document["_id"]] = comparable(resource)
    return found


# 1. No failures; entries without a resource are skipped ---------------------------------------


async def test_the_importer_reads_the_files_counted_here(
    fhir_samples: Path, corpus: Corpus
) -> None:
    """The user's way of naming the folders (`expand`) gives the files, in the order, counted."""
    assert expand([fhir_samples / folder for folder in FOLDERS]) == corpus.files
    assert len(corpus.files) == 86


async def test_the_whole_corpus_imports_without_a_failure(imported: Imported) -> None:
    report = imported.first.report
    assert described(imported.first.failures) == []
    assert report.ok
    assert {t: c["failed"] for t, c in report.counts.items() if c["failed"]} == {}


async def test_entries_without_a_resource_are_skipped_under_their_type(
    imported: Imported, corpus: Corpus
) -> None:
    """16 entries of hl7-r4: the GET and DELETE requests of Bundle-bundle-transaction.json and
    Bundle-bundle-request-medsallergies.json, the body-less responses of
    Bundle-bundle-response.json. Each counts under the type its `request.url` names (a leading
    `/` aside), else its `response.location`'s, else `unknown`."""
    assert sorted({file for file, _ in corpus.skipped_entries}) == [
        "Bundle-bundle-request-medsallergies.json",
        "Bundle-bundle-response.json",
        "Bundle-bundle-transaction.json",
    ]
    assert sum(corpus.skipped.values()) == len(corpus.skipped_entries) == 16
    assert differences(dict(corpus.skipped), skipped(imported.first.report)) == {}


# 2. Counts per type match the files -----------------------------------------------------------


async def test_every_resource_in_the_files_is_counted_once_under_its_type(
    imported: Imported, corpus: Corpus
) -> None:
    """created + updated + unchanged, per type, is the number of resources the files hold."""
    assert differences(dict(corpus.resources), written(imported.first.report)) == {}


async def test_one_document_is_stored_per_resource_created(imported: Imported) -> None:
    created = {t: c["created"] for t, c in imported.first.report.counts.items() if c["created"]}
    assert differences(created, imported.stored) == {}


async def test_one_document_is_stored_per_distinct_resource(
    imported: Imported, corpus: Corpus
) -> None:
    """Distinct as the module docstring says: by source id; Patients by first identifier."""
    distinct = {t: len(keys) for t, keys in corpus.distinct.items()}
    assert differences(distinct, imported.stored) == {}


# 3. A second run over the same files changes nothing ------------------------------------------


async def test_a_second_run_counts_everything_unchanged(
    imported: Imported, second: Run, corpus: Corpus
) -> None:
    counts = {
        t: {o: n for o, n in c.items() if n and o != "skipped"}
        for t, c in second.report.counts.items()
    }
    expected = {t: {"unchanged": n} for t, n in corpus.resources.items()}
    assert differences(expected, {t: c for t, c in counts.items() if c}) == {}
    assert skipped(second.report) == skipped(imported.first.report)
    assert described(second.failures) == []


async def test_a_second_run_changes_no_version(imported: Imported, second: Run) -> None:
    before, after = imported.first.versions, second.versions
    assert sorted(after) == sorted(before)
    changed = {
        t: sorted(i for i in after[t] if after[t][i] != before[t].get(i))
        for t in after
        if after[t] != before[t]
    }
    assert changed == {}


# 4. Export, then import with keep_ids into an empty store: the same resources ----------------


async def test_an_export_imported_with_keep_ids_gives_the_same_resources(
    imported: Imported, reloaded: Reloaded
) -> None:
    assert described(reloaded.run.failures) == []
    assert reloaded.run.report.ok
    counts = {t: {o: n for o, n in c.items() if n} for t, c in reloaded.run.report.counts.items()}
    assert counts == {t: {"created": n} for t, n in reloaded.exported.items()}
    types = await exported_types(imported.services, None, compartment=False)
    assert await exported_types(reloaded.services, None, compartment=False) == types
    different_ids: dict[str, tuple[int, int]] = {}
    different_content: dict[str, list[str]] = {}
    for resource_type in types:
        original = await current_resources(imported.services, resource_type)
        copy = await current_resources(reloaded.services, resource_type)
        if set(original) != set(copy):
            different_ids[resource_type] = (
                len(set(original) - set(copy)),
                len(set(copy) - set(original)),
            )
        unequal = sorted(i for i in set(original) & set(copy) if original[i] != copy[i])
        if unequal:
            different_content[resource_type] = unequal[:5]
    assert different_ids == {}
    assert different_content == {}
