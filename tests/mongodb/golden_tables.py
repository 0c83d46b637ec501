"""Every golden filter table of tests/search, read from its own `parametrize` table, with the
documents its filters are asked over.

The filters are taken from the tables themselves, not copied, so a case added there is compared
here too; a new table must be listed (test_golden_on_both_stores checks that none is missing).
Each table's documents are the ones its module seeds for its "matched" tests where it has any;
the tables of whole-request filters get documents written as the store writes them
(`stored_document` with each type's indexer) from the demo generator, tests/golden and a few
resources of the types kept whole.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest

from gateway import demo
from gateway.jsonio import Json
from gateway.search import date, number, paging, quantity, reference, string, token, uri
from gateway.search.filters import Resolver, build_filter
from gateway.search.index import build_indexer
from gateway.search.model import Clause
from gateway.store.collection import Document
from gateway.store.repository import stored_document
from mappers.generic import generic_mapper
from mappers.registry import MAPPERS
from tests.mongodb.harness import BY_ID, Case, Seed
from tests.search import (
    test_date,
    test_filters,
    test_generic_filters,
    test_implicit_systems,
    test_index_prefixes,
    test_number,
    test_paging,
    test_quantity,
    test_quantity_units,
    test_reference,
    test_string,
    test_token,
    test_token_terminology,
    test_uri,
)
from tests.search.test_filters import FakeResolver, p

ParameterSet = type(pytest.param(None))  # what pytest.param makes, without pytest's internals
NO_CHAINS = cast(Resolver, FakeResolver([]))  # the golden tests' resolver: it finds no ids
GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "resources"
WRITTEN = datetime(2026, 5, 1, 8, 30)


def rows(test: Callable[..., Any]) -> list[tuple[str, dict[str, Any]]]:
    """(id, arguments by name) of each case of `test`'s parametrize table."""
    found = []
    for mark in getattr(test, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        for position, value in enumerate(values):
            if isinstance(value, ParameterSet):
                case_id, arguments = str(value.id or position), value.values
            else:
                case_id = str(position)
                arguments = value if len(names) > 1 else (value,)
            found.append((case_id, dict(zip(names, arguments, strict=True))))
    return found


def expected(row: dict[str, Any]) -> Clause:
    clause: Clause = row["expected"]
    return clause


Producer = Callable[[dict[str, Any]], Clause | Awaitable[Clause]]


@dataclass(frozen=True, slots=True)
class GoldenTable:
    """A golden test, the call it makes (`produce`, on a row's arguments) and the seed its
    filters run over. The harness sends what the code produces, as a search would (a bound
    may be an ExactDecimal, a Decimal128 on MongoDB, where the table writes a float), after
    checking it is still the filter the table pins (`pinned`: `expected`, or what the test
    compares it with)."""

    test: Callable[..., Any]
    produce: Producer
    seed: Seed
    pinned: Callable[[dict[str, Any]], Clause] = expected

    @property
    def name(self) -> str:
        return f"{self.test.__module__.rsplit('.', 1)[-1]}.{self.test.__name__}"

    async def cases(self) -> list[Case]:
        found = []
        for case_id, row in rows(self.test):
            made = self.produce(row)
            clause = await made if inspect.isawaitable(made) else made
            assert clause == self.pinned(row), f"{self.name}[{case_id}] is not its golden filter"
            found.append(Case(case_id, clause))
        return found


def keyed(documents: dict[str, dict[str, Any]]) -> tuple[Document, ...]:
    return tuple({"_id": key, **fields} for key, fields in documents.items())


def stored(resources: Iterable[Json]) -> tuple[Document, ...]:
    """Resources as a write stores them: mapped record, service fields and search index."""
    documents = []
    for resource in resources:
        resource_type = resource["resourceType"]
        mapper = MAPPERS.get(resource_type) or generic_mapper(resource_type)
        record = mapper.from_fhir(resource)
        indexer = build_indexer(resource_type)
        document = stored_document(record, indexer, resource["id"], 1, WRITTEN, "PUT")
        documents.append(dict(document))
    return tuple(documents)


def golden_resources() -> list[Json]:
    return [json.loads(path.read_text()) for path in sorted(GOLDEN.glob("*.json"))]


SNOMED = "http://snomed.info/sct"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
MR_STATUS = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
# Resources of the types kept whole, each holding values the generic golden filters test.
KEPT_WHOLE: list[Json] = [
    {"resourceType": "Condition", "id": "c1",
     "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
     "code": {"coding": [{"system": SNOMED, "code": "44054006", "display": "Diabetes type 2"}]},
     "subject": {"reference": "Patient/p1"}, "onsetDateTime": "2019-03-01",
     "abatementAge": {"value": 10, "system": "urn:ages", "code": "a"}},
    {"resourceType": "Condition", "id": "c2",
     "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "resolved"}]},
     "code": {"coding": [{"code": "44054006"}], "text": "diabetes"},
     "subject": {"reference": "Patient/p2"}, "encounter": {"reference": "Encounter/e1"},
     "onsetPeriod": {"start": "2018-12-30", "end": "2019-01-02"}},
    {"resourceType": "Condition", "id": "c3", "code": {"coding": [{"system": SNOMED, "code": "1"}]},
     "subject": {"reference": "Group/g1"}},
    {"resourceType": "Organization", "id": "org1", "name": "Riverside",
     "identifier": [{"type": {"coding": [{"system": "urn:t", "code": "MR"}]}, "value": "42"}]},
    {"resourceType": "Organization", "id": "org2",
     "identifier": [{"type": {"coding": [{"system": "urn:t", "code": "XX"}]}, "value": "42"}]},
    {"resourceType": "Practitioner", "id": "pr1", "active": True,
     "name": [{"family": "Müller", "given": ["Ulla"]}]},
    {"resourceType": "Practitioner", "id": "pr2", "active": False, "name": [{"family": "Mullins"}]},
    {"resourceType": "MedicationRequest", "id": "mr1", "status": "active", "intent": "order",
     "medicationCodeableConcept": {"text": "metformin"}, "subject": {"reference": "Patient/p1"},
     "authoredOn": "2024-03-01"},
    {"resourceType": "MedicationRequest", "id": "mr2", "status": "stopped", "intent": "order",
     "medicationCodeableConcept": {"text": "ibuprofen"}, "subject": {"reference": "Patient/p1"},
     "authoredOn": "2023-12-31T23:00:00Z"},
    {"resourceType": "MedicationRequest", "id": "mr3", "intent": "plan",
     "medicationCodeableConcept": {"text": "none"}, "subject": {"reference": "Patient/p2"}},
    {"resourceType": "Provenance", "id": "prov1", "target": [{"reference": "Condition/c1"}],
     "recorded": "2024-01-01T00:00:00Z", "agent": [{"who": {"reference": "Practitioner/pr1"}}]},
    {"resourceType": "RiskAssessment", "id": "ra1", "status": "final",
     "subject": {"reference": "Patient/p1"},
     "prediction": [{"probabilityDecimal": 0.3}, {"probabilityDecimal": 0.7}]},
    {"resourceType": "RiskAssessment", "id": "ra2", "status": "final",
     "subject": {"reference": "Patient/p2"}, "prediction": [{"probabilityDecimal": 0.5}]},
    {"resourceType": "ValueSet", "id": "vs1", "status": "active",
     "url": "http://acme.org/fhir/ValueSet/1"},
    {"resourceType": "ValueSet", "id": "vs2", "status": "active", "url": "http://acmeXorg/vs"},
    {"resourceType": "Goal", "id": "goal1", "lifecycleStatus": "active",
     "description": {"text": "walk"}, "subject": {"reference": "Patient/p1"},
     "target": [{"dueDate": "2026-01-01"}]},
    {"resourceType": "Goal", "id": "goal2", "lifecycleStatus": "active",
     "description": {"text": "rest"}, "subject": {"reference": "Patient/p1"}},
    {"resourceType": "Group", "id": "g1", "type": "person", "actual": True,
     "characteristic": [{"code": {"text": "gender"}, "exclude": False,
                         "valueCodeableConcept": {"coding": [{"system": "urn:g", "code": "female"}]}}]},
    {"resourceType": "Group", "id": "g2", "type": "person", "actual": True},
]  # fmt: skip

# Patient/1's chart, holding the values of the common searches' golden filters.
CHART: list[Json] = [
    {"resourceType": "Patient", "id": "1", "identifier": [{"system": "http://sys", "value": "val"}]},
    {"resourceType": "Observation", "id": "chart-o1", "status": "final",
     "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
     "subject": {"reference": "Patient/1"}, "effectiveDateTime": "2024-06-01T10:00:00Z",
     "valueQuantity": {"value": 61, "unit": "/min", "system": "http://unitsofmeasure.org",
                       "code": "/min"}},
    {"resourceType": "Observation", "id": "chart-o2", "status": "amended",
     "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
     "subject": {"reference": "Patient/1"}, "effectiveDateTime": "2023-06-01"},
    {"resourceType": "Encounter", "id": "chart-e1", "status": "finished",
     "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
     "subject": {"reference": "Patient/1"}, "period": {"start": "2024-02-01T09:00:00Z"}},
    {"resourceType": "MedicationStatement", "id": "chart-m1", "status": "active",
     "identifier": [{"system": "http://sys", "value": "val"}],
     "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                               "code": "1191"}]},
     "subject": {"reference": "Patient/1"}},
    {"resourceType": "Condition", "id": "chart-c1", "subject": {"reference": "Patient/1"},
     "code": {"text": "hypertension"}},
]  # fmt: skip

# The documents each table runs over.
TOKENS = Seed("token", (*test_token.OBSERVATIONS, *test_token.PATIENTS))
STRINGS = Seed("string", (
    *test_string.PATIENTS,
    # names the golden filters look for: spaces, regex characters, commas, JSON as text
    *(test_string.patient(f"s{n}", family, *given) for n, (family, *given) in enumerate([
        ("Rita", "Ana Rita"), (".*z",), ("x(a|b)+",), ("a,b",), (" x ",), ('{"$gt": ""}',),
    ])),
))  # fmt: skip
DATES = Seed(
    "date",
    (
        *({"_id": key, "index": {"birthdate": r}} for key, r in test_date.PATIENTS.items()),
        {"_id": "no-date", "index": {}},
    ),
)
# test_date.test_instants_match_as_their_millisecond seeds these inline.
INSTANTS = Seed("instant", (
    {"_id": "before", "last_updated": datetime(2020, 4, 30, 23, 59, 59, 999000)},
    {"_id": "day-start", "last_updated": datetime(2020, 5, 1)},
    {"_id": "day-end", "last_updated": datetime(2020, 5, 1, 23, 59, 59, 999000)},
    {"_id": "after", "last_updated": datetime(2020, 5, 2)},
))  # fmt: skip
NUMBERS = Seed("number", (
    *keyed(test_number.DOSES),
    # the paths of test_filter_on_paths: a list, a second path, one array element per range
    {"_id": "straddles", "scores": [1, 200]},
    {"_id": "inside", "scores": [1, 100]},
    {"_id": "extra", "extra": {"score": 100.2}},
    {"_id": "predicted", "predictions": [{"probability": 0.3}, {"probability": 100}]},
))  # fmt: skip
REFERENCES = Seed("reference", tuple(test_reference.OBSERVATIONS))
URIS = Seed("uri", tuple(test_uri.VALUE_SETS))
QUANTITIES = Seed("quantity", keyed(test_quantity.OBSERVATIONS))
UNITS = Seed("quantity_units", keyed(test_quantity_units.OBSERVATIONS))
TERMINOLOGY = Seed(
    "terminology", (*test_token_terminology.OBSERVATIONS, *test_token_terminology.ENCOUNTERS)
)
# Paged in the sorts test_paging pages them in: missing and null values among the rest.
PAGING = Seed(
    "paging",
    (
        *(cast(Document, row) for row in test_paging.ROWS),
        # the fields of test_after_builds_the_keyset_filter: equal dates, a null status
        *({"_id": f"o{n}", "effective": {"start": datetime(2020, 1, 1)}} for n in (6, 7, 8)),
        {"_id": "o9", "effective": {"start": datetime(2021, 1, 1)}},
        {"_id": "o5", "effective": {"start": None}},
        {"_id": "o1", "status": None},
        {"_id": "o2", "status": None},
    ),
    (
        *BY_ID,
        *(
            [*((f, -1 if down else 1) for f, down in row["sort"]), ("_id", 1)]
            for _, row in rows(test_paging.test_paging_visits_every_row_once_in_sort_order)
        ),
    ),
)
STORED = Seed("stored", stored([*demo.generate(patients=1), *golden_resources(), *CHART]))
KEPT = Seed("kept_whole", stored(KEPT_WHOLE))

TABLES = (
    GoldenTable(
        test_token.test_golden_filter,
        lambda r: token.clause(r["param"], r["modifier"], r["value"]),
        TOKENS,
    ),
    GoldenTable(
        test_string.test_golden_filter,
        lambda r: string.clause(r["param"], r["modifier"], r["value"]),
        STRINGS,
    ),
    GoldenTable(
        test_date.test_filter,
        lambda r: date.clause(test_date.BIRTHDATE, r["value"], now=test_date.NOW),
        DATES,
        lambda r: test_date.on_range(r["expected"]),
    ),
    GoldenTable(
        test_date.test_an_instant_is_searched_in_place,
        lambda r: date.clause(test_date.LAST_UPDATED, r["value"]),
        INSTANTS,
    ),
    GoldenTable(
        test_number.test_filter,
        lambda r: number.clause(test_number.DOSE, r["value"]),
        NUMBERS,
    ),
    GoldenTable(
        test_number.test_filter_on_paths,
        lambda r: number.clause(r["param"], r["value"]),
        NUMBERS,
    ),
    GoldenTable(
        test_reference.test_golden_filter,
        lambda r: reference.clause(r["param"], r["modifier"], r["value"], base_urls=r["base_urls"]),
        REFERENCES,
    ),
    GoldenTable(
        test_uri.test_golden_filter,
        lambda r: uri.clause(r["param"], r["modifier"], r["value"]),
        URIS,
    ),
    GoldenTable(
        test_quantity.test_filter,
        lambda r: quantity.clause(test_quantity.VALUE_QUANTITY, r["value"]),
        QUANTITIES,
    ),
    GoldenTable(
        test_quantity_units.test_filter,
        lambda r: quantity.clause(test_quantity_units.VALUE, r["value"]),
        UNITS,
    ),
    GoldenTable(
        test_token_terminology.test_filter,
        lambda r: test_token_terminology.build(r["param"], r["modifier"], r["value"]),
        TERMINOLOGY,
    ),
    GoldenTable(
        test_paging.test_after_builds_the_keyset_filter,
        lambda r: paging.after(r["spec"], r["values"]),
        PAGING,
    ),
    GoldenTable(
        test_filters.test_parameters_become_the_expected_filter,
        lambda r: build_filter("Observation", r["parameters"], NO_CHAINS),
        STORED,
    ),
    GoldenTable(
        test_index_prefixes.test_golden_filters_of_the_common_searches,
        lambda r: test_index_prefixes.filter_of(r["resource_type"], r["query"]),
        STORED,
    ),
    GoldenTable(
        test_generic_filters.test_golden_filter,
        lambda r: build_filter(
            r["resource_type"],
            [p(r["name"], r["value"])],
            NO_CHAINS,
            base_urls=test_generic_filters.BASE,
        ),
        KEPT,
    ),
    GoldenTable(
        test_implicit_systems.test_golden_filter_of_an_implicit_system,
        lambda r: build_filter("MedicationRequest", [p(r["name"], r["value"])], NO_CHAINS),
        KEPT,
    ),
)
