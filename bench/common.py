"""Helpers the benchmarks share: timing, a uvicorn server in a subprocess, wrk."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(
    app: str, *, env: dict[str, str] | None = None, factory: bool = False, root: Path = ROOT
) -> Iterator[str]:
    """Run `app` under uvicorn (one worker) on a free loopback port; yields its base URL.
    `root`: the checkout whose code it runs (another one: a before/after comparison)."""
    with uvicorn_process(app, env=env, factory=factory, root=root) as (url, _):
        yield url


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def uvicorn_process(
    app: str, *, env: dict[str, str] | None = None, factory: bool = False, root: Path = ROOT
) -> Iterator[tuple[str, int]]:
    """`uvicorn_server`, yielding the server's process id too (for `cpu_seconds`)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--workers", "1",
               "--log-level", "warning", "--no-access-log"]  # fmt: skip
    if factory:
        command.append("--factory")
    environment = {**os.environ, **(env or {})}
    if root != ROOT:
        environment["PYTHONPATH"] = str(root)
    process = subprocess.Popen(command, cwd=root, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1)
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def wrk_rate(url: str, paths: list[str], *, connections: int = 8, seconds: int = 5) -> float:
    """Requests/s wrk reaches on GETs of random `paths` (one thread, `connections` open)."""
    return wrk_run(url, paths, connections=connections, seconds=seconds)[0]


def wrk_run(
    url: str, paths: list[str], *, connections: int = 8, seconds: int = 5
) -> tuple[float, int]:
    """(requests/s, requests) of `wrk_rate`'s run."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is needed for the HTTP benchmark: apt-get install wrk")
    listing = ",".join(f'"{p}"' for p in paths)
    script = (
        f"paths = {{{listing}}}\n"
        "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    output = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "-s", lua.name, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(lua.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    if match is None or count is None:
        raise RuntimeError(output)
    return float(match.group(1)), int(count.group(1))
