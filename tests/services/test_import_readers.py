"""Import readers: files, directories and globs in; one item per line, entry or resource out."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from gateway.jsonio import dumps
from gateway.services.imports.readers import Item, expand, read

PATIENT = {"resourceType": "Patient", "id": "p1", "active": True, "name": [{"family": "Ng"}]}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
    "subject": {"reference": "Patient/p1"},
    "valueQuantity": {"value": 72.5, "unit": "/min", "system": "http://unitsofmeasure.org"},
}
# Every JSON value kind, floats that round-trip badly when mishandled, and deep nesting.
VALUES = {
    "resourceType": "Basic",
    "id": "values",
    "numbers": [0, -7, 2147483647, 9223372036854775807, 72.5, 0.1, 1e-7, 1e3, 2.0, -0.0],
    "more": [3.141592653589793, 0.30000000000000004, 1.7976931348623157e308, 5e-324],
    "flags": [True, False, None],
    "nested": [[1, [2.5, {"deep": [[], {}]}]], "é😀"],
}


def write_ndjson(path: Path, resources: list[dict[str, Any]], *, compress: bool = False) -> Path:
    data = "".join(json.dumps(resource) + "\n" for resource in resources).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def bundle(bundle_type: str, entries: list[Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "id": "b1", "type": bundle_type, "entry": entries}


def compact(text: str) -> bytes:
    """JSON text without the spaces json.dumps puts after `,` and `:` (none are in strings)."""
    return text.replace(", ", ",").replace(": ", ":").encode()


def summary(items: list[Item]) -> list[tuple[str, str]]:
    """(position, resourceType or error) per item."""
    return [
        (item.position, item.resource["resourceType"] if item.resource else str(item.error))
        for item in items
    ]


# NDJSON


def test_ndjson_yields_one_resource_per_line(tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "data.ndjson", [PATIENT, OBSERVATION])

    items = list(read(path))

    assert items == [
        Item(path, "line 1", resource=PATIENT),
        Item(path, "line 2", resource=OBSERVATION),
    ]


@pytest.mark.parametrize("name", ["Observation.ndjson.gz", "export.json", "export"])
def test_gzipped_ndjson_is_recognised_by_content(tmp_path: Path, name: str) -> None:
    path = write_ndjson(tmp_path / name, [OBSERVATION, PATIENT, OBSERVATION], compress=True)

    assert summary(list(read(path))) == [
        ("line 1", "Observation"),
        ("line 2", "Patient"),
        ("line 3", "Observation"),
    ]


def test_ndjson_name_wins_over_content_for_a_single_line(tmp_path: Path) -> None:
    ndjson = write_ndjson(tmp_path / "one.jsonl", [PATIENT])
    json_file = write_ndjson(tmp_path / "one.json", [PATIENT])

    assert summary(list(read(ndjson))) == [("line 1", "Patient")]
    assert summary(list(read(json_file))) == [("resource", "Patient")]


def test_bad_lines_are_reported_and_reading_goes_on(tmp_path: Path) -> None:
    lines = [
        json.dumps(PATIENT),
        "",
        "not json",
        "[1, 2]",
        '{"resourceType": "Observation", "status": "fin',
        "   \t",
        '{"resourceType": "Observation", "valueDecimal": NaN}',
        '"Patient"',
        "null",
        json.dumps(OBSERVATION),
        "",
    ]
    path = tmp_path / "mixed.json"
    path.write_text("\n".join(lines))

    assert summary(list(read(path))) == [
        ("line 1", "Patient"),
        ("line 3", "Line is not JSON: Expecting value at column 1."),
        ("line 4", "Line holds a JSON array, not a resource."),
        ("line 5", "Line is not JSON: Unterminated string starting at column 43."),
        ("line 7", "Line is not JSON: `NaN` is not a JSON number."),
        ("line 8", "Line holds a JSON string, not a resource."),
        ("line 9", "Line holds JSON null, not a resource."),
        ("line 10", "Observation"),
    ]


def test_truncated_gzip_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(json.dumps(PATIENT).encode() + b"\n" for _ in range(2000)))
    path = tmp_path / "cut.ndjson.gz"
    path.write_bytes(data[: len(data) // 2])

    items = list(read(path))

    assert {item.position for item in items[:-1]} == {f"line {n}" for n in range(1, len(items))}
    assert all(item.resource == PATIENT for item in items[:-1])
    assert items[-1] == Item(
        path,
        "file",
        error="File cannot be read: Compressed file ended before the end-of-stream marker was reached.",
    )


# Bundles


def test_transaction_entries_keep_request_and_full_url(tmp_path: Path) -> None:
    entries = [
        {
            "fullUrl": "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
            "resource": PATIENT,
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "fullUrl": "http://example.org/fhir/Observation/o1",
            "resource": OBSERVATION,
            "request": {"method": "PUT", "url": "Observation/o1"},
        },
    ]
    path = tmp_path / "transaction.json"
    path.write_text(json.dumps(bundle("transaction", entries), indent=2))

    assert list(read(path)) == [
        Item(
            path,
            "entry 0",
            resource=PATIENT,
            request={"method": "POST", "url": "Patient"},
            full_url="urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
            bundle_type="transaction",
        ),
        Item(
            path,
            "entry 1",
            resource=OBSERVATION,
            request={"method": "PUT", "url": "Observation/o1"},
            full_url="http://example.org/fhir/Observation/o1",
            bundle_type="transaction",
        ),
    ]


@pytest.mark.parametrize("bundle_type", ["collection", "searchset", "batch", "history"])
@pytest.mark.parametrize("indent", [None, 2], ids=["minified", "pretty"])
def test_bundle_of_any_type_yields_its_entries(
    tmp_path: Path, bundle_type: str, indent: int | None
) -> None:
    entries = [{"resource": PATIENT}, {"resource": OBSERVATION, "search": {"mode": "match"}}]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle(bundle_type, entries), indent=indent))

    assert list(read(path)) == [
        Item(path, "entry 0", resource=PATIENT, bundle_type=bundle_type),
        Item(path, "entry 1", resource=OBSERVATION, bundle_type=bundle_type),
    ]


@pytest.mark.parametrize("bundle_type", ["document", "message"])
def test_a_document_or_message_bundle_is_one_resource(tmp_path: Path, bundle_type: str) -> None:
    whole = bundle(bundle_type, [{"resource": PATIENT}, {"resource": OBSERVATION}])
    path = tmp_path / "document.json"
    path.write_text(json.dumps(whole))
    assert list(read(path)) == [Item(path, "resource", resource=whole)]


def test_bundle_type_is_found_after_the_entries(tmp_path: Path) -> None:
    path = tmp_path / "late.json"
    path.write_text(
        json.dumps(
            {"entry": [{"resource": PATIENT}], "type": "collection", "resourceType": "Bundle"}
        )
    )

    assert list(read(path)) == [Item(path, "entry 0", resource=PATIENT, bundle_type="collection")]


def test_gzipped_bundle(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json.gz"
    path.write_bytes(
        gzip.compress(json.dumps(bundle("collection", [{"resource": PATIENT}])).encode())
    )

    assert list(read(path)) == [Item(path, "entry 0", resource=PATIENT, bundle_type="collection")]


def test_bad_entries_are_reported_with_their_index(tmp_path: Path) -> None:
    delete = {"method": "DELETE", "url": "Patient/p9"}
    entries = [
        {"resource": PATIENT},
        {"request": delete},
        "Patient",
        {"fullUrl": "urn:uuid:1", "resource": [PATIENT]},
        {"resource": OBSERVATION},
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(bundle("batch", entries)))

    items = list(read(path))

    assert summary(items) == [
        ("entry 0", "Patient"),
        ("entry 1", "Bundle entry has no resource."),
        ("entry 2", "Bundle entry holds a JSON string, not an object."),
        ("entry 3", "Bundle entry resource is a JSON array, not an object."),
        ("entry 4", "Observation"),
    ]
    assert (items[1].request, items[3].full_url) == (delete, "urn:uuid:1")


def test_truncated_bundle_keeps_the_entries_before_the_damage(tmp_path: Path) -> None:
    text = json.dumps(bundle("collection", [{"resource": PATIENT}, {"resource": OBSERVATION}]))
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"Observation"') + 5])

    items = list(read(path))

    assert summary(items[:1]) == [("entry 0", "Patient")]
    assert items[1].position == "file"
    assert str(items[1].error).startswith("Bundle is not JSON after 1 entries: ")


# Single documents


def test_a_single_resource_file_yields_that_resource(tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(PATIENT, indent=2))

    assert list(read(path)) == [Item(path, "resource", resource=PATIENT)]


def test_a_list_resource_entry_is_not_a_bundle_entry(tmp_path: Path) -> None:
    resource = {
        "resourceType": "List",
        "status": "current",
        "mode": "working",
        "entry": [{"item": {"reference": "Patient/p1"}}],
    }
    path = tmp_path / "list.json"
    path.write_text(json.dumps(resource, indent=1))

    assert list(read(path)) == [Item(path, "resource", resource=resource)]


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(PATIENT).encode())

    assert list(read(path)) == [Item(path, "resource", resource=PATIENT)]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["empty", "blank"])
def test_an_empty_file_yields_nothing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_bytes(content)

    assert list(read(path)) == []


@pytest.mark.parametrize(
    ("content", "error"),
    [
        pytest.param(b"Patient,p1,Ng\n", "File is not JSON: ", id="csv"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "File is not JSON: ", id="binary"),
        pytest.param(
            b'[{"resourceType": "Patient"}]', "File holds a JSON array, not a resource.", id="array"
        ),
        pytest.param(b"42", "File holds a JSON number, not a resource.", id="number"),
    ],
)
def test_a_file_that_holds_no_resource_is_one_error(
    tmp_path: Path, content: bytes, error: str
) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(content)

    [item] = read(path)

    assert (item.position, item.resource) == ("file", None)
    assert str(item.error).startswith(error)


# Values come out as json.loads makes them, every number with its text


def test_values_equal_json_loads_in_every_format(tmp_path: Path) -> None:
    text = json.dumps(VALUES)
    ndjson = write_ndjson(tmp_path / "values.ndjson", [VALUES, VALUES])
    single = tmp_path / "values.json"
    single.write_text(text)
    bundled = tmp_path / "bundle.json"
    bundled.write_text(json.dumps(bundle("collection", [{"resource": VALUES}])))

    resources = [item.resource for path in (ndjson, single, bundled) for item in read(path)]

    assert resources == [json.loads(text)] * 4
    # json.dumps wrote `1e-07` and `1.7976931348623157e+308`: they come back as written.
    written = compact(json.dumps(VALUES, ensure_ascii=False))
    assert [dumps(resource) for resource in resources] == [written] * 4
    assert [isinstance(value, int) for value in resources[3]["numbers"]] == [
        isinstance(v, int) for v in VALUES["numbers"]
    ]


def test_integers_beyond_64_bits_are_read_exactly(tmp_path: Path) -> None:
    big = {
        "resourceType": "Observation",
        "valueQuantity": {"value": 123456789012345678901234567890},
    }
    entries = [{"resource": PATIENT}, {"resource": big}, {"resource": OBSERVATION}]
    bundled = tmp_path / "bundle.json"
    bundled.write_text(json.dumps(bundle("collection", entries)))
    lines = write_ndjson(tmp_path / "big.json", [big, PATIENT])

    written = [compact(json.dumps(r)) for r in (PATIENT, big, OBSERVATION)]
    assert [dumps(item.resource) for item in read(bundled)] == written
    assert [dumps(item.resource) for item in read(lines)] == written[:2][::-1]


def test_decimals_keep_their_text_in_every_format(tmp_path: Path) -> None:
    resource = (
        '{"resourceType": "Basic", "n": [1.50, 0.10, 1E+5, 1e-400, 2.5, 10000000000000000000000]}'
    )
    (tmp_path / "one.json").write_text(resource)
    (tmp_path / "lines.ndjson").write_text(f"{resource}\n{resource}\n")
    (tmp_path / "bundle.json").write_text(
        f'{{"resourceType": "Bundle", "type": "collection", "entry": [{{"resource": {resource}}}]}}'
    )

    items = [item for path in expand([tmp_path]) for item in read(path)]

    assert [dumps(item.resource) for item in items] == [compact(resource)] * 4


def test_a_lone_surrogate_is_a_bad_line_or_entry(tmp_path: Path) -> None:
    lone = '{"resourceType": "Patient", "name": [{"text": "\\ud800"}]}'
    lines = tmp_path / "lines.ndjson"
    lines.write_text(f"{lone}\n{json.dumps(PATIENT)}\n")
    bundled = tmp_path / "bundle.json"
    bundled.write_text(
        f'{{"resourceType": "Bundle", "type": "batch", "entry": [{{"resource": {lone}}}, '
        f'{{"resource": {json.dumps(PATIENT)}}}]}}'
    )

    assert summary(list(read(lines))) == [
        ("line 1", "Line is not JSON: no low surrogate in string at column 48."),
        ("line 2", "Patient"),
    ]
    assert summary(list(read(bundled))) == [
        ("entry 0", "Bundle entry holds a lone UTF-16 surrogate, which is not text."),
        ("entry 1", "Patient"),
    ]


def test_an_item_carries_a_resource_or_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="either a resource or an error"):
        Item(tmp_path, "line 1")
    with pytest.raises(ValueError, match="either a resource or an error"):
        Item(tmp_path, "line 1", resource=PATIENT, error="both")


# Memory stays bounded


def observation_line() -> str:
    """An Observation of about 1.6 kB, so 50 MB take ~30,000 lines and a second to read."""
    narrative = "Heart rate 72.5 beats/minute. " * 40
    div = f'<div xmlns="http://www.w3.org/1999/xhtml">{narrative}</div>'
    return json.dumps({**OBSERVATION, "text": {"status": "generated", "div": div}})


def peak_while_reading(path: Path) -> tuple[int, int]:
    """(items read, peak traced bytes) for reading the whole file."""
    tracemalloc.start()
    try:
        count = sum(1 for item in read(path) if item.resource)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_50_mb_of_ndjson_stays_under_10_mb(tmp_path: Path) -> None:
    line = observation_line() + "\n"
    lines = 50_000_000 // len(line)
    path = tmp_path / "big.ndjson"
    path.write_text(line * lines)

    count, peak = peak_while_reading(path)

    assert count == lines
    assert peak < 10_000_000, f"peak {peak / 1e6:.1f} MB for {path.stat().st_size / 1e6:.0f} MB"


def test_reading_a_50_mb_minified_bundle_stays_under_20_mb(tmp_path: Path) -> None:
    entry = '{"fullUrl": "urn:uuid:1", "resource": ' + observation_line() + "}"
    thousand = ", ".join([entry] * 1000)
    blocks = 50_000_000 // len(thousand)
    path = tmp_path / "big.json"
    with path.open("w") as file:
        file.write('{"resourceType": "Bundle", "type": "collection", "entry": [')
        file.write(", ".join([thousand] * blocks))
        file.write("]}")

    count, peak = peak_while_reading(path)

    assert count == blocks * 1000
    assert peak < 20_000_000, f"peak {peak / 1e6:.1f} MB for {path.stat().st_size / 1e6:.0f} MB"


# Expanding arguments


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in [
        "a.ndjson",
        "b.json",
        "notes.txt",
        "sub/c.jsonl",
        "sub/d.ndjson.gz",
        "sub/e.JSON.GZ",
        "sub/manifest.csv",
        "sub/deeper/f.json",
        "sub/deeper/g.tar.gz",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    return tmp_path


def test_directories_expand_to_their_data_files_recursively(tree: Path) -> None:
    assert expand([tree]) == [
        tree / "a.ndjson",
        tree / "b.json",
        tree / "sub/c.jsonl",
        tree / "sub/d.ndjson.gz",
        tree / "sub/deeper/f.json",
        tree / "sub/e.JSON.GZ",
    ]


def test_files_are_taken_as_given(tree: Path) -> None:
    assert expand([str(tree / "notes.txt"), tree / "b.json"]) == [
        tree / "notes.txt",
        tree / "b.json",
    ]


def test_globs_match_data_files(tree: Path) -> None:
    assert expand([f"{tree}/*.ndjson", f"{tree}/**/*.json"]) == [
        tree / "a.ndjson",
        tree / "b.json",
        tree / "sub/deeper/f.json",
    ]
    assert expand([f"{tree}/s?b/[cd].*"]) == [tree / "sub/c.jsonl", tree / "sub/d.ndjson.gz"]
    assert expand([f"{tree}/*"]) == expand([tree])


def test_duplicates_are_dropped_keeping_the_first(tree: Path) -> None:
    again = tree / "sub" / ".." / "b.json"

    assert expand([tree / "b.json", f"{tree}/*.json", again, tree / "sub"]) == [
        tree / "b.json",
        tree / "sub/c.jsonl",
        tree / "sub/d.ndjson.gz",
        tree / "sub/deeper/f.json",
        tree / "sub/e.JSON.GZ",
    ]


def test_missing_paths_and_empty_globs_are_named(tree: Path) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        expand([tree / "a.ndjson", tree / "nope.json", f"{tree}/*.xml"])

    assert str(raised.value) == (
        f"No such file, directory or glob match: {tree}/nope.json, {tree}/*.xml"
    )
