"""Planning and response building on the embedded store, without HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.jsonio import Json
from gateway.services.context import Services, open_services
from gateway.services.transaction.entries import Entry
from gateway.services.transaction.parse import parse_bundle
from tests.conftest import make_settings

BASE = "http://test/fhir"
MRN = "http://clinic.example/mrn"


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    """The services of a new, empty embedded store."""
    opened = await open_services(make_settings())
    yield opened
    opened.close()


def patient(mrn: str, **fields: Any) -> Json:
    return {"resourceType": "Patient", "identifier": [{"system": MRN, "value": mrn}], **fields}


def weight(subject: str) -> Json:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": subject},
    }


def entry(method: str, url: str, resource: Json | None = None, *, full_url: str | None = None,
          **request: str) -> Json:  # fmt: skip
    result: Json = {"request": {"method": method, "url": url, **request}}
    if resource is not None:
        result["resource"] = resource
    if full_url is not None:
        result["fullUrl"] = full_url
    return result


def parsed(*entries: Json, kind: str = "transaction") -> list[Entry]:
    bundle = {"resourceType": "Bundle", "type": kind, "entry": list(entries)}
    return parse_bundle(bundle, max_entries=100, base_urls=(BASE,))[1]
