"""`.ci/fetch_samples.py` and its manifest: CI fetches exactly the samples the corpus tests
read here. Checked against the local copy (no network): every file is listed, once, with the
blob id of its bytes."""

from __future__ import annotations

import gzip
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT


def fetcher() -> ModuleType:
    """The script as a module (`.ci` is no package); registered, as its dataclasses need."""
    path = ROOT / ".ci" / "fetch_samples.py"
    spec = importlib.util.spec_from_file_location("fetch_samples", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


FETCH = fetcher()


def test_blob_id_is_gits(tmp_path: Path) -> None:
    written = tmp_path / "sample.json"
    written.write_bytes(b'{"resourceType": "Patient"}\n')
    git = subprocess.run(["git", "hash-object", str(written)], capture_output=True, text=True)
    assert git.returncode == 0, git.stderr
    assert FETCH.blob_id(written.read_bytes()) == git.stdout.strip()


def test_each_sample_has_a_raw_url_at_its_commit() -> None:
    listed = FETCH.samples()
    assert len(listed) == len({s.file for s in listed}) == 86
    odd = next(s for s in listed if s.file.startswith("synthea/Hern"))
    assert odd.url == (
        "https://raw.githubusercontent.com/smart-on-fhir/generated-sample-data/"
        "25ac8089f0464b8673c7669509dc0bb8f4883773/R4/SYNTHEA/"
        "Hern%C3%A1n_Heredia_e254b2a8-2545-4507-8424-f99197587031.json"
    )
    assert all(len(s.commit) == len(s.blob) == 40 for s in listed)


def test_the_manifest_is_the_local_copy(fhir_samples: Path) -> None:
    local = {
        str(p.relative_to(fhir_samples)): p
        for p in fhir_samples.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    listed = {s.file: s.blob for s in FETCH.samples()}
    assert set(listed) == set(local)
    for file, path in local.items():
        content = path.read_bytes()
        if file.endswith(".gz"):
            content = gzip.decompress(content)
        assert FETCH.blob_id(content) == listed[file], file


def test_a_download_with_other_bytes_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Answer:
        def __init__(self, content: bytes) -> None:
            self.content = content

        def read(self) -> bytes:
            return self.content

        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    sample = FETCH.Sample("x/a.ndjson.gz", "o/r", "0" * 40, "a.ndjson", FETCH.blob_id(b"{}\n"))
    monkeypatch.setattr(FETCH.urllib.request, "urlopen", lambda url, timeout: Answer(b"{}\n"))
    FETCH.fetch(sample, tmp_path)
    assert gzip.decompress((tmp_path / "x" / "a.ndjson.gz").read_bytes()) == b"{}\n"

    monkeypatch.setattr(FETCH.urllib.request, "urlopen", lambda url, timeout: Answer(b"[]\n"))
    with pytest.raises(ValueError, match="is not blob"):
        FETCH.fetch(sample, tmp_path / "other")
    assert not (tmp_path / "other").exists()
