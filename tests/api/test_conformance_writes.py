"""Every write of a conformance type is refused: they are published read-only from
`fhir_profiles/` (gateway.store.conformance), over HTTP, in Bundles and in the import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from gateway.services.context import open_services
from gateway.services.imports.pipeline import Importer
from gateway.services.imports.readers import expand, read
from gateway.services.imports.report import Failure
from tests.conftest import make_settings

TEXT = (
    "`ValueSet` resources are published read-only from `fhir_profiles/`; "
    "they cannot be created, updated or deleted here."
)
REFUSED = {
    "resourceType": "OperationOutcome",
    "issue": [
        {
            "severity": "error",
            "code": "not-supported",
            "diagnostics": TEXT,
            "details": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/operation-outcome",
                        "code": "MSG_OP_NOT_ALLOWED",
                    }
                ]
            },
        }
    ],
}
GENDER = "administrative-gender"
NEW_VS = {"resourceType": "ValueSet", "status": "draft", "url": "http://example.org/vs"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/ValueSet", NEW_VS, id="create"),
        pytest.param("PUT", f"/ValueSet/{GENDER}", {**NEW_VS, "id": GENDER}, id="update"),
        pytest.param("PUT", "/ValueSet/brand-new", {**NEW_VS, "id": "brand-new"}, id="put-new"),
        pytest.param(
            "PUT",
            f"/ValueSet?url=http://hl7.org/fhir/ValueSet/{GENDER}",
            {**NEW_VS, "id": GENDER},
            id="conditional-update",
        ),
        pytest.param("DELETE", f"/ValueSet/{GENDER}", None, id="delete"),
        pytest.param(
            "POST",
            "/ValueSet",
            {"resourceType": "ValueSet", "status": "nope"},
            id="create-invalid-body",
        ),
        pytest.param("PUT", "/ValueSet/x", {"resourceType": "Patient"}, id="update-wrong-type"),
        pytest.param("DELETE", "/ValueSet/not-held", None, id="delete-unknown-id"),
        pytest.param(
            "DELETE",
            f"/ValueSet?url=http://hl7.org/fhir/ValueSet/{GENDER}",
            None,
            id="conditional-delete",
        ),
    ],
)
async def test_writes_are_405(
    api: AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = await api.request(method, path, json=body)
    assert response.status_code == 405, response.text
    assert response.json() == REFUSED
    assert (await api.get(f"/ValueSet/{GENDER}")).json()["meta"]["versionId"] == "1"


async def test_a_batch_entry_is_405_and_the_others_run(api: AsyncClient) -> None:
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": NEW_VS, "request": {"method": "POST", "url": "ValueSet"}},
        {"request": {"method": "DELETE", "url": f"CodeSystem/{GENDER}"}},
        {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
    ]}  # fmt: skip
    response = await api.post("", json=bundle)
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert [e["response"]["status"] for e in entries] == [
        "405 Method Not Allowed", "405 Method Not Allowed", "201 Created",
    ]  # fmt: skip
    assert entries[0]["response"]["outcome"] == REFUSED
    assert "`CodeSystem` resources are published read-only" in json.dumps(entries[1])


async def test_a_transaction_naming_one_fails_whole(api: AsyncClient) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
        {"resource": {**NEW_VS, "id": "x"}, "request": {"method": "PUT", "url": "ValueSet/x"}},
    ]}  # fmt: skip
    response = await api.post("", json=bundle)
    assert response.status_code == 405, response.text
    issue = response.json()["issue"][0]
    assert issue["diagnostics"] == f"Bundle.entry[1]: {TEXT}"
    assert issue["expression"] == ["Bundle.entry[1]"]
    assert (await api.get("/Patient?_summary=count")).json()["total"] == 0


async def test_import_lines_are_refused_and_the_rest_lands(tmp_path: Path) -> None:
    lines = [NEW_VS, {"resourceType": "Patient", "id": "p1"}, {**NEW_VS, "id": GENDER}]
    (tmp_path / "mixed.ndjson").write_text("\n".join(json.dumps(line) for line in lines))
    services = await open_services(make_settings())
    failures: list[Failure] = []
    importer = Importer(services, on_failure=failures.append, batch_size=3)
    report = await importer.run(item for path in expand([tmp_path]) for item in read(path))
    assert not report.ok
    assert [f.position for f in failures] == ["line 1", "line 3"]
    assert failures[0].outcome == REFUSED
    assert await services.store("Patient").count({}) == 1
