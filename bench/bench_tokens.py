"""`Authenticator.grant_for` cold (signature and claims verified, scopes parsed) vs cached.

Why the cache exists (gateway.auth.token_cache): a client sends the same token on every request
until it expires, and verifying it costs more than serving a read. Measures, in one run, the
microseconds per call for an RS256 and an ES256 token: `cold` with a fresh cache each call
(every token distinct, as for a first request) and `cached` (the same token again), plus the
token endpoint's own cost of minting (signing) one token.

Run: `.venv/bin/python -m bench.bench_tokens [--calls N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import orjson
from joserfc import jwk

from gateway.auth.authenticator import Authenticator
from gateway.auth.backend_services import TokenMinter
from gateway.auth.signing import SigningKey
from gateway.settings import Settings

AUDIENCE = "https://fhir.example.org/fhir"
SCOPE = "system/*.rs patient/Observation.rs?category=laboratory user/Patient.cruds"


def _settings(directory: Path, key: jwk.Key) -> Settings:
    path = directory / f"{key.key_type}.json"
    path.write_bytes(orjson.dumps(key.as_dict(private=True)))
    return Settings(
        mongodb_uri=None, auth_mode="smart", auth_audience=AUDIENCE, auth_signing_key_file=path
    )


async def _per_call(settings: Settings, calls: int) -> tuple[float, float, float]:
    """(mint, cold, cached) microseconds per call, best of 3 rounds each."""
    minter = TokenMinter.from_settings(settings)
    assert minter is not None
    best_mint = best_cold = best_cached = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        tokens = [
            f"Bearer {minter.mint(client_id='bench', scope=SCOPE, lifetime=300)}"
            for _ in range(calls)
        ]
        best_mint = min(best_mint, (time.perf_counter() - started) / calls)
        authenticator = Authenticator.from_settings(settings)
        started = time.perf_counter()
        for header in tokens:  # each distinct: every call verifies
            await authenticator.grant_for(header)
        best_cold = min(best_cold, (time.perf_counter() - started) / calls)
        started = time.perf_counter()
        for header in tokens:  # all cached now
            await authenticator.grant_for(header)
        best_cached = min(best_cached, (time.perf_counter() - started) / calls)
    return best_mint * 1e6, best_cold * 1e6, best_cached * 1e6


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        keys = {
            "RS256": jwk.RSAKey.generate_key(2048),
            "ES256": jwk.ECKey.generate_key("P-256"),
        }
        print(f"grant_for per call, µs (best of 3 rounds of {calls:,} tokens)")
        print(f"{'alg':6} {'mint':>8} {'cold':>8} {'cached':>8} {'cold/cached':>12}")
        for alg, key in keys.items():
            settings = _settings(directory, key)
            assert SigningKey.from_file(settings.auth_signing_key_file or directory).alg == alg
            mint, cold, cached = await _per_call(settings, calls)
            print(f"{alg:6} {mint:8.1f} {cold:8.1f} {cached:8.2f} {cold / cached:11.0f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    asyncio.run(main(parser.parse_args().calls))
