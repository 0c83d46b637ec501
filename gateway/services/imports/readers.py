"""Import files as a stream of items: NDJSON, Bundles or single resources, gzipped or not.

`fhir-gateway import` reads Bulk Data exports that run to gigabytes
(https://hl7.org/fhir/uv/bulkdata/export.html#file-format), so no NDJSON file or Bundle is ever
held whole: NDJSON goes line by line, a Bundle (https://hl7.org/fhir/R4/bundle.html) entry by
entry through a window sliding over its text (a file holding one resource is read whole, as its
resource must be). Each line or entry becomes one `Item`; one that cannot be read
carries an `error` instead of a resource, so the importer reports it and goes on. Numbers keep
their text (`gateway.jsonio`): `1.50` is imported as `1.50`.

The format is told by content, not by name: gzip by its magic bytes (RFC 1952 §2.3.1), NDJSON by
a first non-empty line that is a whole JSON object with more lines after it (or a `.ndjson` or
`.jsonl` name); anything else is one JSON document.
"""

from __future__ import annotations

import glob
import gzip
import io
import json
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import ijson

from gateway.jsonio import loads
from gateway.services.imports.entries import Unreadable, entries

T = TypeVar("T")
Stream = gzip.GzipFile | io.BufferedReader
Format = Literal["ndjson", "json", "empty"]

DATA_SUFFIXES = (".json", ".ndjson", ".jsonl")
NDJSON_SUFFIXES = (".ndjson", ".jsonl")
GLOB_CHARACTERS = frozenset("*?[")
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_CHUNK = 64 * 1024
NO_RESOURCE = "Bundle entry has no resource."
# A document or a message is a resource in its own right (bundle.html#document), kept whole;
# the other Bundle types carry resources to import one by one.
WHOLE_BUNDLES = frozenset({"document", "message"})
# I/O failures, including a truncated or corrupt gzip stream, end the file with one error item.
_READ_ERRORS = (OSError, EOFError, zlib.error)


def _backends() -> tuple[Any, ...]:
    """yajl2_c first for speed; the pure-Python backend reads integers past 64 bits too."""
    python = ijson.get_backend("python")
    try:
        return (ijson.get_backend("yajl2_c"), python)
    except ImportError:
        return (python,)


_BACKENDS = _backends()


@dataclass(frozen=True, slots=True)
class Item:
    """One NDJSON line, Bundle entry or single resource, read or not.

    `position` is `"line 12"` (1-based physical line), `"entry 3"` (index into `Bundle.entry`),
    `"resource"` (a file holding one resource) or `"file"` (the file as a whole failed).
    Exactly one of `resource` and `error` is set. `request`, `response` and `fullUrl` come from
    a Bundle entry, set on error items too when the entry has them; `bundle_type` is
    `Bundle.type` (a document or message Bundle is one resource, not a container).
    """

    source: Path
    position: str
    resource: dict[str, Any] | None = None
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None  # kept only on an entry without a resource
    full_url: str | None = None
    error: str | None = None
    bundle_type: str | None = None

    def __post_init__(self) -> None:
        if (self.resource is None) == (self.error is None):
            raise ValueError("An import item carries either a resource or an error.")


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories and glob matches as their FHIR data files, each once.

    Raises:
        FileNotFoundError: naming every argument that is neither a path nor a matching glob.
    """
    found: dict[Path, Path] = {}
    missing: list[str] = []
    for argument in paths:
        files = _expand_one(argument)
        if files is None:
            missing.append(str(argument))
        for file in files or ():
            found.setdefault(file.resolve(), file)
    if missing:
        raise FileNotFoundError(f"No such file, directory or glob match: {', '.join(missing)}")
    return list(found.values())


def _expand_one(argument: str | Path) -> list[Path] | None:
    path = Path(argument)
    if path.is_dir():
        return _data_files(path)
    if path.exists():
        return [path]
    if GLOB_CHARACTERS.isdisjoint(str(argument)):
        return None
    matches = [Path(match) for match in sorted(glob.glob(str(argument), recursive=True))]
    if not matches:
        return None
    return [file for match in matches for file in _data_files(match)]


def _data_files(path: Path) -> list[Path]:
    """A directory's data files, recursively and sorted; a matched file if it looks like data."""
    if path.is_dir():
        return sorted(file for file in path.rglob("*") if file.is_file() and _is_data(file))
    return [path] if _is_data(path) else []


def _is_data(path: Path) -> bool:
    return path.name.lower().removesuffix(".gz").endswith(DATA_SUFFIXES)


def read(path: Path) -> Iterator[Item]:
    """The items of one file, streamed; an unreadable file ends with an item at `"file"`."""
    try:
        yield from _read(path)
    except _READ_ERRORS as exc:
        yield Item(path, "file", error=f"File cannot be read: {exc}.")


def _read(path: Path) -> Iterator[Item]:
    detected = _format(path)
    if detected == "ndjson":
        yield from _ndjson(path)
    elif detected == "json":
        yield from _document(path)


def _open(path: Path) -> Stream:
    """The file, decompressed when it starts with the gzip magic bytes, past a UTF-8 BOM."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    # Returned open: every caller closes it with `with`.
    stream: Stream = gzip.open(path, "rb") if compressed else path.open("rb")  # noqa: SIM115
    if stream.read(3) != _UTF8_BOM:
        stream.seek(0)
    return stream


def _format(path: Path) -> Format:
    """NDJSON, one JSON document or nothing, from at most the first two non-empty lines."""
    with _open(path) as stream:
        first = _next_nonblank_line(stream)
        if first is None:
            return "empty"
        if path.name.lower().removesuffix(".gz").endswith(NDJSON_SUFFIXES):
            return "ndjson"
        if _next_nonblank_line(stream) is None:
            return "json"  # one line, such as a minified Bundle: never parsed twice
        return "ndjson" if _line_is_object(stream, first) else "json"


def _line_chunks(stream: Stream) -> Iterator[bytes]:
    """The rest of the current line in bounded chunks, so a minified Bundle is never held."""
    while chunk := stream.readline(_CHUNK):
        yield chunk
        if chunk.endswith(b"\n"):
            return


def _next_nonblank_line(stream: Stream) -> int | None:
    """Skip past the next line with content; the offset where it starts, None at the end."""
    while True:
        start = stream.tell()
        content: bool | None = None  # None: end of file, False: only whitespace
        for chunk in _line_chunks(stream):
            content = bool(content) or bool(chunk.strip())
        if content is None:
            return None
        if content:
            return start


def _line_is_object(stream: Stream, start: int) -> bool:
    """Whether the line at `start` is exactly one JSON object, parsed chunk by chunk."""
    for backend in _BACKENDS:
        stream.seek(start)
        events = ijson.sendable_list()
        parser = backend.basic_parse_coro(events)
        try:
            for chunk in _line_chunks(stream):
                parser.send(chunk)
                del events[1:]  # only the first event matters
            parser.close()
        except ijson.JSONError as exc:
            if _overflowed(exc) and backend is not _BACKENDS[-1]:
                continue
            return False
        return bool(events) and events[0][0] == "start_map"
    return False


def _overflowed(exc: Exception) -> bool:
    """yajl stops at integers beyond 64 bits, which `json.loads` and FHIR decimals allow."""
    return "integer overflow" in str(exc)


def _ndjson(path: Path) -> Iterator[Item]:
    with _open(path) as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield _line_item(path, f"line {number}", line)


def _line_item(path: Path, position: str, line: bytes) -> Item:
    try:
        # Without its line break, a cut-off string reads "Unterminated", not "control character".
        value = loads(line.rstrip(b"\r\n"))
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg.removesuffix(' at')} at column {exc.colno}"  # "…character at"
        return Item(path, position, error=f"Line is not JSON: {reason}.")
    except (ValueError, RecursionError) as exc:
        return Item(path, position, error=f"Line is not JSON: {exc}.")
    if not isinstance(value, dict):
        return Item(path, position, error=f"Line holds {_kind(value)}, not a resource.")
    return Item(path, position, resource=value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, int | float):
        return "a JSON number"
    if isinstance(value, list):
        return "a JSON array"
    return "a JSON string" if isinstance(value, str) else "JSON null"


_EVENT_KINDS = {
    "start_array": "a JSON array",
    "string": "a JSON string",
    "number": "a JSON number",
    "boolean": "a JSON boolean",
    "null": "JSON null",
}


@dataclass(frozen=True, slots=True)
class _Header:
    not_object: str | None  # what the top-level value is instead of an object
    resource_type: str | None = None
    bundle_type: str | None = None


def _document(path: Path) -> Iterator[Item]:
    try:
        header = _header(path)
    except (ijson.JSONError, ValueError) as exc:
        yield Item(path, "file", error=f"File is not JSON: {_reason(exc)}.")
        return
    if header.not_object:
        yield Item(path, "file", error=f"File holds {header.not_object}, not a resource.")
    elif header.resource_type == "Bundle" and header.bundle_type not in WHOLE_BUNDLES:
        yield from _bundle(path, header.bundle_type)
    else:
        yield from _resource(path)


def _header(path: Path) -> _Header:
    """Top-level `resourceType` and `type`, read only as far as needed: they usually lead."""
    with closing(_parsed(path, _events)) as events:
        _, event, _ = next(events)
        if event != "start_map":
            return _Header(_EVENT_KINDS.get(event, event))
        found: dict[str, str] = {}
        for prefix, event, value in events:
            if prefix in ("resourceType", "type") and event == "string":
                found[prefix] = value
            if found.get("resourceType", "Bundle") != "Bundle" or len(found) == 2:
                break
        return _Header(None, found.get("resourceType"), found.get("type"))


def _bundle(path: Path, bundle_type: str | None) -> Iterator[Item]:
    count = 0
    with _open(path) as stream:
        try:
            for count, entry in enumerate(entries(stream), start=1):
                yield _entry_item(path, count - 1, entry, bundle_type)
        except ValueError as exc:
            reason = f"Bundle is not JSON after {count} entries: {_reason(exc)}."
            yield Item(path, "file", error=reason, bundle_type=bundle_type)


def _entry_item(path: Path, index: int, entry: Any, bundle_type: str | None) -> Item:
    position = f"entry {index}"
    if isinstance(entry, Unreadable):
        return Item(path, position, error=entry.reason, bundle_type=bundle_type)
    if not isinstance(entry, dict):
        error = f"Bundle entry holds {_kind(entry)}, not an object."
        return Item(path, position, error=error, bundle_type=bundle_type)
    request = entry.get("request")
    response = entry.get("response")
    full_url = entry.get("fullUrl")
    resource = entry.get("resource")
    return Item(
        path,
        position,
        resource=resource if isinstance(resource, dict) else None,
        request=request if isinstance(request, dict) else None,
        response=response if isinstance(response, dict) and resource is None else None,
        full_url=full_url if isinstance(full_url, str) else None,
        error=None if isinstance(resource, dict) else _missing_resource(resource),
        bundle_type=bundle_type,
    )


def _missing_resource(resource: Any) -> str:
    if resource is None:
        return NO_RESOURCE
    return f"Bundle entry resource is {_kind(resource)}, not an object."


def _resource(path: Path) -> Iterator[Item]:
    """A file holding one resource (a document Bundle, say) is read whole: so is its resource."""
    with _open(path) as stream:
        try:
            resource = loads(stream.read())
        except ValueError as exc:
            yield Item(path, "file", error=f"File is not JSON: {_reason(exc)}.")
            return
    yield Item(path, "resource", resource=resource)


def _parsed(path: Path, parse: Callable[[Any, Stream], Iterator[T]]) -> Generator[T, None, None]:
    """`parse(backend, stream)` with yajl2_c; past an integer overflow, again with Python's.

    The retry skips what the first backend already yielded, so callers see each value once.
    """
    done = 0
    for backend in _BACKENDS:
        with _open(path) as stream:
            try:
                for count, value in enumerate(parse(backend, stream)):
                    if count >= done:
                        done += 1
                        yield value
                return
            except ijson.JSONError as exc:
                if not _overflowed(exc) or backend is _BACKENDS[-1]:
                    raise


def _events(backend: Any, stream: Stream) -> Iterator[tuple[str, str, Any]]:
    return backend.parse(stream)  # type: ignore[no-any-return]


def _reason(exc: Exception) -> str:
    """The first line of a parser message; yajl adds the text around the error."""
    message = exc.args[0] if exc.args else exc
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message).strip().splitlines()[0].rstrip(".")
