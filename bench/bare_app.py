"""The floor for GET by id: a bare FastAPI endpoint returning the gateway's own bytes.

It serves, per path, the exact body the gateway returned for it (read from BENCH_BODIES), so
the difference to the gateway is the gateway's work: lookup, mapping, headers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

BODIES: dict[str, bytes] = {
    path: body.encode()
    for path, body in json.loads(Path(os.environ["BENCH_BODIES"]).read_text()).items()
}
app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/fhir/{resource_type}/{resource_id}")
async def read(resource_type: str, resource_id: str) -> Response:
    return Response(
        BODIES[f"/fhir/{resource_type}/{resource_id}"], media_type="application/fhir+json"
    )
