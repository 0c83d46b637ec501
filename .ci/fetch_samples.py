"""Fetch the third-party FHIR samples the corpus tests read (README "Tests") into a directory.

They are never copied into this repository: `.ci/fhir-samples.tsv` names each file's public
source (repository, commit, path) and its git blob id, and every download must hash to it, so
CI reads exactly the bytes the team's copy holds. Files named `*.gz` are stored gzipped, as in
that copy. Standard library only: it runs before the project's environment exists.

    python3 .ci/fetch_samples.py DEST      (then FHIR_SAMPLES_DIR=DEST)
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).resolve().parent / "fhir-samples.tsv"
RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True, slots=True)
class Sample:
    file: str  # relative to the samples directory
    repository: str
    commit: str
    path: str
    blob: str  # git blob id of the uncompressed bytes

    @property
    def url(self) -> str:
        return f"{RAW}/{self.repository}/{self.commit}/{urllib.parse.quote(self.path)}"


def samples(manifest: Path = MANIFEST) -> list[Sample]:
    lines = manifest.read_text(encoding="utf-8").splitlines()
    return [Sample(*line.split("\t")) for line in lines if line and not line.startswith("#")]


def blob_id(content: bytes) -> str:
    """What `git hash-object` prints for a file holding `content`."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def fetch(sample: Sample, destination: Path) -> None:
    with urllib.request.urlopen(sample.url, timeout=60) as response:
        content = response.read()
    if blob_id(content) != sample.blob:
        raise ValueError(f"{sample.file}: {sample.url} is not blob {sample.blob}")
    target = destination / sample.file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(content, mtime=0) if sample.file.endswith(".gz") else content)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    destination = Path(sys.argv[1])
    listed = samples()
    for number, sample in enumerate(listed, 1):
        fetch(sample, destination)
        sys.stdout.write(f"[{number}/{len(listed)}] {sample.file}\n")


if __name__ == "__main__":
    main()
