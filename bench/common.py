"""Helpers the benchmarks share: timing, a uvicorn server in a subprocess, wrk, and the store
a bench runs on (the embedded store, or MongoDB with `--mongodb-uri`)."""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
MONGODB_URI_ENV = "BENCH_MONGODB_URI"
DATABASE_PREFIX = "fhir_gateway_bench_"
# The store chosen on the command line. A bench opens services in several places (a round, a
# server subprocess), so the choice is kept here once rather than passed down every call.
_mongodb_uri: str | None = None


def parse_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """`parser`'s arguments, plus `--mongodb-uri` (default: $BENCH_MONGODB_URI), which runs the
    gateway's side of the bench on that MongoDB instead of the embedded store. The floors stay
    what they are, so a ratio on MongoDB says what the database adds."""
    parser.add_argument(
        "--mongodb-uri",
        default=os.environ.get(MONGODB_URI_ENV),
        help=f"Run on this MongoDB (a new database per run, dropped at exit); ${MONGODB_URI_ENV}.",
    )
    args = parser.parse_args()
    global _mongodb_uri
    _mongodb_uri = args.mongodb_uri or None
    print(
        f"store: {'MongoDB' if _mongodb_uri else 'embedded'}"
    )  # never the URI: it may hold a password
    return args


def store_settings(**overrides: Any) -> Settings:
    """The gateway's settings on the chosen store: a new database on MongoDB each call, so that
    every round starts empty as it does on the embedded store."""
    if _mongodb_uri is None:
        return Settings(mongodb_uri=None, **overrides)
    return Settings(
        mongodb_uri=_mongodb_uri, mongodb_database=_new_database(), auth_mode="off", **overrides
    )


def store_env() -> dict[str, str]:
    """The same for a server in a subprocess (uvicorn_server's `env`)."""
    if _mongodb_uri is None:
        return {}
    return {"MONGODB_URI": _mongodb_uri, "MONGODB_DATABASE": _new_database(), "AUTH_MODE": "off"}


def _new_database() -> str:
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    if not _created:
        atexit.register(_drop_created)
    _created.append(name)
    return name


_created: list[str] = []


def _drop_created() -> None:
    from pymongo import MongoClient

    client: MongoClient[dict[str, Any]] = MongoClient(_mongodb_uri)
    with client:
        for name in _created:
            client.drop_database(name)


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
