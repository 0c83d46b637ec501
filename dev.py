"""One entry point for a fresh machine: `python3 dev.py serve` or `python3 dev.py test`.

It makes `.venv` (only Python 3.11+ is needed), installs the project with its dev extras when
`pyproject.toml` changed since the last install, then runs the gateway or the checks.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-pyproject"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py runs before the venv exists)
        sys.exit("fhir-gateway needs Python 3.11 or newer.")
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        print("Installing fhir-gateway and its dev tools into .venv ...", flush=True)
        pip = [
            str(BIN / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(digest)


def run(*command: str) -> None:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode:
        sys.exit(result.returncode)


def main() -> None:
    action, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("help", [])
    if action not in ("serve", "test", "lint"):
        sys.exit("usage: python3 dev.py serve [options] | test [pytest args] | lint")
    ensure_environment()
    if action == "serve":
        os.execv(str(BIN / "fhir-gateway"), [str(BIN / "fhir-gateway"), "serve", "--demo", *args])
    if action in ("test", "lint"):
        run(str(BIN / "ruff"), "check", ".")
        run(str(BIN / "ruff"), "format", "--check", ".")
        run(str(BIN / "mypy"))
        run(str(BIN / "lint-imports"))
    if action == "test":
        run(str(BIN / "python"), "-m", "pytest", *args)


if __name__ == "__main__":
    main()
