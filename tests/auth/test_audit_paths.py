"""The audit's classifier (gateway.http.audit_paths) over every path the gateway serves."""

from __future__ import annotations

import pytest

from gateway.http.audit_paths import Classified, classify
from gateway.http.routes import apps, table

BASE = "/fhir"
SAMPLE = {
    "{resource_type}": "Observation",
    "{resource_id}": "x1",
    "{compartment}": "Patient",
    "{job_id}": "j1",
    "{file_name}": "Observation.ndjson",
    "{version_id}": "2",
    "{app}": "norahealth",
}
T, ID = "Observation", "x1"
# (path template, method) -> (interaction, action, type, id, patient): one row per handler.
EXPECTED: dict[tuple[str, str], tuple[str, str, str | None, str | None, str | None]] = {
    ("/fhir/metadata", "GET"): ("capabilities", "R", None, None, None),
    ("/fhir/$export", "GET"): ("operation", "E", None, None, None),
    ("/fhir/$export-poll-status/{job_id}", "GET"): ("operation", "E", None, None, None),
    ("/fhir/$export-poll-status/{job_id}", "DELETE"): ("operation", "E", None, None, None),
    ("/fhir/$export-file/{job_id}/{file_name}", "GET"): ("operation", "E", None, None, None),
    ("/fhir/Patient/$export", "GET"): ("operation", "E", "Patient", None, None),
    ("/fhir/Observation/$lastn", "GET"): ("operation", "E", "Observation", None, None),
    ("/fhir/Patient/$everything", "GET"): ("operation", "E", "Patient", None, None),
    ("/fhir/Patient/$everything", "POST"): ("operation", "E", "Patient", None, None),
    ("/fhir/Patient/{resource_id}/$everything", "GET"): ("operation", "E", "Patient", ID, ID),
    ("/fhir/Patient/{resource_id}/$everything", "POST"): ("operation", "E", "Patient", ID, ID),
    ("/fhir/ValueSet/$expand", "GET"): ("operation", "E", "ValueSet", None, None),
    ("/fhir/ValueSet/$expand", "POST"): ("operation", "E", "ValueSet", None, None),
    ("/fhir/ValueSet/$validate-code", "GET"): ("operation", "E", "ValueSet", None, None),
    ("/fhir/ValueSet/$validate-code", "POST"): ("operation", "E", "ValueSet", None, None),
    ("/fhir/CodeSystem/$lookup", "GET"): ("operation", "E", "CodeSystem", None, None),
    ("/fhir/CodeSystem/$lookup", "POST"): ("operation", "E", "CodeSystem", None, None),
    ("/fhir/ConceptMap/$translate", "GET"): ("operation", "E", "ConceptMap", None, None),
    ("/fhir/ConceptMap/$translate", "POST"): ("operation", "E", "ConceptMap", None, None),
    ("/fhir/{resource_type}/$validate", "POST"): ("operation", "E", T, None, None),
    ("/fhir/{resource_type}/{resource_id}/$validate", "POST"): ("operation", "E", T, ID, None),
    ("/fhir", "GET"): ("search-system", "E", None, None, None),
    ("/fhir", "POST"): ("transaction", "E", None, None, None),
    ("/fhir/", "GET"): ("search-system", "E", None, None, None),
    ("/fhir/", "POST"): ("transaction", "E", None, None, None),
    ("/fhir/_search", "POST"): ("search-system", "E", None, None, None),
    ("/fhir/_history", "GET"): ("history-system", "E", None, None, None),
    ("/fhir/{resource_type}/_search", "POST"): ("search-type", "E", T, None, None),
    ("/fhir/{resource_type}/_history", "GET"): ("history-type", "E", T, None, None),
    ("/fhir/{resource_type}", "GET"): ("search-type", "E", T, None, None),
    ("/fhir/{resource_type}", "POST"): ("create", "C", T, None, None),
    ("/fhir/{resource_type}", "PUT"): ("update", "U", T, None, None),
    ("/fhir/{resource_type}", "DELETE"): ("delete", "D", T, None, None),
    ("/fhir/{resource_type}/{resource_id}", "GET"): ("read", "R", T, ID, None),
    ("/fhir/{resource_type}/{resource_id}", "PUT"): ("update", "U", T, ID, None),
    ("/fhir/{resource_type}/{resource_id}", "DELETE"): ("delete", "D", T, ID, None),
    ("/fhir/{resource_type}/{resource_id}/_history", "GET"): ("history-instance", "R", T, ID, None),
    ("/fhir/{resource_type}/{resource_id}/_history/{version_id}", "GET"): (
        "vread",
        "R",
        T,
        ID,
        None,
    ),
    ("/fhir/ValueSet/{resource_id}/$expand", "GET"): ("operation", "E", "ValueSet", ID, None),
    ("/fhir/ValueSet/{resource_id}/$expand", "POST"): ("operation", "E", "ValueSet", ID, None),
    ("/fhir/ValueSet/{resource_id}/$validate-code", "GET"): (
        "operation",
        "E",
        "ValueSet",
        ID,
        None,
    ),
    ("/fhir/ValueSet/{resource_id}/$validate-code", "POST"): (
        "operation",
        "E",
        "ValueSet",
        ID,
        None,
    ),
    ("/fhir/ConceptMap/{resource_id}/$translate", "GET"): (
        "operation",
        "E",
        "ConceptMap",
        ID,
        None,
    ),
    ("/fhir/ConceptMap/{resource_id}/$translate", "POST"): (
        "operation",
        "E",
        "ConceptMap",
        ID,
        None,
    ),
    ("/fhir/{compartment}/{resource_id}/{resource_type}", "GET"): ("search-type", "E", T, None, ID),
    ("/fhir/{compartment}/{resource_id}/{resource_type}/_search", "POST"): (
        "search-type",
        "E",
        T,
        None,
        ID,
    ),
    ("/apps", "GET"): ("operation", "R", None, None, None),
    ("/apps/{app}/records", "GET"): ("operation", "R", None, None, None),
    ("/apps/{app}/records", "POST"): ("operation", "C", None, None, None),
    ("/apps/{app}/schema", "GET"): ("operation", "R", None, None, None),
}
UNAUDITED = {"/fhir/_openapi.json", "/fhir/_docs"}


def concrete(template: str) -> str:
    for name, value in SAMPLE.items():
        template = template.replace(name, value)
    return template


def served() -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, handlers in [*table.paths(BASE), *apps.paths()]
        for method in handlers
    ]


def test_every_served_path_and_method_has_an_expected_classification() -> None:
    """A new route fails here until its audit classification is decided."""
    audited = {(p, m) for p, m in served() if p not in UNAUDITED}
    assert audited == set(EXPECTED)


@pytest.mark.parametrize(("template", "method"), sorted(EXPECTED))
def test_each_route_is_classified(template: str, method: str) -> None:
    interaction, action, resource_type, resource_id, patient = EXPECTED[(template, method)]
    assert classify(method, concrete(template), base=BASE) == Classified(
        interaction, action, resource_type, resource_id, patient
    )


@pytest.mark.parametrize("path", sorted(UNAUDITED | {"/health", "/", "/fhirx/Patient"}))
def test_health_and_documentation_are_not_audited(path: str) -> None:
    assert classify("GET", path, base=BASE) is None


@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/ready"])
def test_the_probes_are_not_audited_when_the_base_is_the_root(path: str) -> None:
    assert classify("GET", path, base="") is None
    assert classify("GET", "/Patient", base="") is not None  # the root base is still audited


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        pytest.param("HEAD", "/fhir/Patient/p1", ("read", "R", "Patient", "p1", "p1"), id="head"),
        pytest.param("GET", "/fhir/Patient/p1", ("read", "R", "Patient", "p1", "p1"), id="patient"),
        pytest.param(
            "GET", "/fhir/Patient/p1/_history/3", ("vread", "R", "Patient", "p1", "p1"), id="pv"
        ),
        pytest.param(
            "GET",
            "/fhir/Encounter/e1/Observation",
            ("search-type", "E", "Observation", None, None),
            id="other-compartment",
        ),
        pytest.param(
            "PATCH", "/fhir/Observation/o1", ("patch", "U", "Observation", "o1", None), id="patch"
        ),
        pytest.param(
            "GET",
            "/fhir/.well-known/smart-configuration",
            ("operation", "E", None, None, None),
            id="smart",
        ),
        pytest.param("POST", "/fhir/auth/token", ("operation", "E", None, None, None), id="token"),
        pytest.param(
            "GET", "/fhir/a/b/c/d/e", ("search-type", "E", "c", None, None), id="deep-unknown"
        ),
    ],
)
def test_other_requests(
    method: str, path: str, expected: tuple[str, str, str | None, str | None, str | None]
) -> None:
    assert classify(method, path, base=BASE) == Classified(*expected)


@pytest.mark.parametrize("path", ["/fhir/Patient/p1", "/fhir/Observation", "/apps"])
def test_a_cors_preflight_is_not_audited(path: str) -> None:
    assert classify("OPTIONS", path, base=BASE) is None


def test_a_root_base() -> None:
    assert classify("GET", "/Patient/p1", base="") == Classified("read", "R", "Patient", "p1", "p1")
    assert classify("GET", "/_docs", base="") is None
    assert classify("GET", "/apps", base="") == Classified("operation", "R")
