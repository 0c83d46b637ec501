"""bench.peer.bundles: Synthea patients cut to the four domain types, references to the rest
taken out the same way for both servers of the peer bench."""

from __future__ import annotations

from pathlib import Path

import orjson

from bench.peer.bundles import FOUR_TYPES, four_type_bundles, resource_counts
from gateway.jsonio import Json

PATIENT = "urn:uuid:11111111-1111-4111-8111-111111111111"
CLINIC = "urn:uuid:22222222-2222-4222-8222-222222222222"
VISIT = "urn:uuid:33333333-3333-4333-8333-333333333333"


def _entry(full_url: str, resource: Json) -> Json:
    return {"fullUrl": full_url, "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]}}  # fmt: skip


def _synthea(tmp_path: Path) -> Path:
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": PATIENT},
        "participant": [{"type": [{"text": "primary performer"}],
                         "individual": {"reference": "Practitioner?identifier=http://npi|9"}}],
        "location": [{"location": {"reference": "Location?identifier=x|1", "display": "Clinic"}}],
        "serviceProvider": {"reference": CLINIC, "display": "Clinic"},
    }  # fmt: skip
    entries = [
        _entry(PATIENT, {"resourceType": "Patient", "gender": "female"}),
        _entry(CLINIC, {"resourceType": "Organization", "name": "Clinic"}),
        _entry(VISIT, encounter),
        _entry("urn:uuid:44444444-4444-4444-8444-444444444444",
               {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                "subject": {"reference": PATIENT}, "encounter": {"reference": VISIT}}),
    ]  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    (tmp_path / "patient.json").write_bytes(orjson.dumps(bundle))
    return tmp_path


def test_only_the_four_domain_types_are_kept(tmp_path: Path) -> None:
    [bundle] = four_type_bundles(_synthea(tmp_path))

    assert bundle["type"] == "transaction"
    assert resource_counts([bundle]) == {"Patient": 1, "Encounter": 1, "Observation": 1}
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} <= FOUR_TYPES


def test_references_to_what_the_bundle_lacks_go_and_empty_holders_with_them(
    tmp_path: Path,
) -> None:
    [bundle] = four_type_bundles(_synthea(tmp_path))
    encounter = bundle["entry"][1]["resource"]

    assert encounter == {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": PATIENT},
        "participant": [{"type": [{"text": "primary performer"}]}],
    }


def test_references_inside_the_bundle_are_kept(tmp_path: Path) -> None:
    [bundle] = four_type_bundles(_synthea(tmp_path))
    observation = bundle["entry"][2]["resource"]

    assert observation["subject"] == {"reference": PATIENT}
    assert observation["encounter"] == {"reference": VISIT}
