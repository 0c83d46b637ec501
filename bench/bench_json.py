"""gateway.jsonio against plain orjson: what keeping every decimal's text costs.

For a lab Observation (compact and pretty-printed), a lab transaction Bundle (bench.lab_bundles)
and, where the shared samples are present, the largest Synthea transaction Bundle, it prints
`jsonio.loads` and `jsonio.dumps` against `orjson.loads` and `orjson.dumps` of the same bytes
measured in the same run: as sent (no number loses its text: the common path) and with one value
written `…0` (`13.5` -> `13.50`: the document takes the exact parse).

Run: `.venv/bin/python -m bench.bench_json`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.lab_bundles import bundles
from gateway import jsonio

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "fhir-samples" / "synthea"
_FIRST_VALUE = re.compile(rb'("value":\s*-?[0-9]+)(\.[0-9]+)?')


def with_trailing_zero(raw: bytes) -> bytes:
    """`raw` with its first `"value"` number given one more digit, a zero: `13.5` -> `13.50`."""
    return _FIRST_VALUE.sub(lambda m: m[1] + (m[2] or b".0") + b"0", raw, count=1)


def seconds_each(run: Callable[[], Any], budget: float = 0.2, rounds: int = 5) -> float:
    """Seconds per call: the best of `rounds` loops of about `budget` seconds each."""
    started, calls = time.perf_counter(), 0
    while time.perf_counter() - started < budget / 10:
        run()
        calls += 1
    loops = max(1, calls * 10)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(loops):
            run()
        best = min(best, (time.perf_counter() - started) / loops)
    return best


def documents() -> dict[str, bytes]:
    bundle = next(bundles(1, 4))
    observation = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    found = {
        "Observation, compact": orjson.dumps(observation),
        "Observation, pretty": orjson.dumps(observation, option=orjson.OPT_INDENT_2),
        f"lab Bundle, {len(bundle['entry'])} entries": orjson.dumps(bundle),
    }
    synthea = (
        sorted(SAMPLES.glob("*.json"), key=lambda p: p.stat().st_size) if SAMPLES.is_dir() else []
    )
    if synthea:
        found[f"Synthea Bundle, {synthea[-1].stat().st_size / 1e6:.1f} MB"] = synthea[
            -1
        ].read_bytes()
    return found


def measure(raw: bytes) -> dict[str, float]:
    exact = with_trailing_zero(raw)
    value, exact_value = orjson.loads(raw), jsonio.loads(exact)
    assert not jsonio.holds_exact(jsonio.loads(raw))
    assert jsonio.holds_exact(exact_value)
    floor_loads = seconds_each(lambda: orjson.loads(raw))
    floor_dumps = seconds_each(lambda: orjson.dumps(value))
    return {
        "orjson.loads": floor_loads,
        "loads": seconds_each(lambda: jsonio.loads(raw)) / floor_loads,
        "loads, 1 exact": seconds_each(lambda: jsonio.loads(exact)) / floor_loads,
        "orjson.dumps": floor_dumps,
        "dumps": seconds_each(lambda: jsonio.dumps(value)) / floor_dumps,
        "dumps, 1 exact": seconds_each(lambda: jsonio.dumps(exact_value)) / floor_dumps,
    }


def _time(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:,.2f} ms"


def main() -> None:
    print(f"{'':34} {'orjson.loads':>12} {'loads':>7} {'1 exact':>8}   "
          f"{'orjson.dumps':>12} {'dumps':>7} {'1 exact':>8}")  # fmt: skip
    for name, raw in documents().items():
        m = measure(raw)
        print(
            f"{name:34} {_time(m['orjson.loads']):>12} {m['loads']:>6.2f}x "
            f"{m['loads, 1 exact']:>7.2f}x   {_time(m['orjson.dumps']):>12} "
            f"{m['dumps']:>6.2f}x {m['dumps, 1 exact']:>7.2f}x"
        )
    print("(ratios: time against orjson's on the same document; '1 exact': one value `…0`)")


if __name__ == "__main__":
    main()
