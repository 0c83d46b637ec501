"""The index table (gateway.store.indexes) on the embedded store and, marked `mongodb`, on a
real server: every declared index is created for every kept type, and on MongoDB `explain()`
shows each common search answered from its declared index (IXSCAN on the index the table made
for it), never by a collection scan.

mongomock creates indexes but plans nothing, so the plans are checked on MongoDB only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from gateway import demo
from gateway.jsonio import Json
from gateway.search.common_searches import common_searches
from gateway.search.filters import build_filter
from gateway.search.paging import sort_spec
from gateway.search.request import parse
from gateway.services.context import Services, open_services
from gateway.services.generic import kept_types
from gateway.services.search import KEYSCAN_LIMIT, StoreResolver
from gateway.store.collection import OwnedDocument
from gateway.store.indexes import DOMAIN_COLLECTIONS, HISTORY, index_keys, search_keys
from gateway.store.repository import ResourceStore
from tests.mongodb.conftest import NEEDS_SERVER, STORES, URI, database_name, settings_for
from tests.mongodb.golden_tables import stored

DOMAIN_TYPES = tuple(DOMAIN_COLLECTIONS)
KEPT_WHOLE = ("Condition", "Practitioner")  # types kept whole: their values are under `index.*`
PLANNED = (*DOMAIN_TYPES, *KEPT_WHOLE)
SNOMED = "http://snomed.info/sct"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
IDS = "http://clinic.example/ids"


@pytest.fixture
async def services(request: pytest.FixtureRequest) -> AsyncIterator[Services]:
    store = getattr(request, "param", "mongodb")
    database = database_name()
    opened = await open_services(settings_for(store, database))
    try:
        yield opened
    finally:
        await opened.client.drop_database(database)
        opened.close()


async def created_indexes(store: ResourceStore) -> set[tuple[str, ...]]:
    information = await store.collection.index_information()
    return {tuple(key for key, _ in index["key"]) for index in information.values()}


@pytest.mark.parametrize("services", STORES, indirect=True)
async def test_every_declared_index_is_created_for_every_kept_type(services: Services) -> None:
    """The domain collections' and history's at start, a type kept whole's before its first
    write: MongoDB accepts every one (names, key counts, no two alike under other names)."""
    history = await services.storage.database[HISTORY].index_information()
    assert {tuple(k for k, _ in i["key"]) for i in history.values()} == {
        ("_id",),
        *index_keys(HISTORY),
    }
    checked = 0
    for resource_type in kept_types():
        store = services.store(resource_type)
        if type(store) is not ResourceStore:
            continue  # the conformance types are files; AuditEvent keeps its own (audit_index)
        if not store.indexed:
            await store.create_indexes()
        assert await created_indexes(store) == {("_id",), *index_keys(store.name)}, resource_type
        checked += 1
    assert checked > 100


# --- plans, on MongoDB ----------------------------------------------------------------------


def kept_whole(patients: list[str]) -> list[Json]:
    """Three Conditions per patient (six codes, three clinical statuses, one identifier each)
    and 30 Practitioners with an identifier: the demo has no type kept whole."""
    conditions = [
        {"resourceType": "Condition", "id": f"cond-{p}-{n}",
         "identifier": [{"system": IDS, "value": f"c-{p}-{n}"}],
         "subject": {"reference": f"Patient/{p}"},
         "clinicalStatus": {"coding": [{"system": CLINICAL,
                                        "code": ("active", "resolved", "remission")[n]}]},
         "code": {"coding": [{"system": SNOMED, "code": str(1000 + (i + n) % 6)}]},
         "onsetDateTime": f"{2015 + (i + n) % 10}-03-01"}
        for i, p in enumerate(patients) for n in range(3)
    ]  # fmt: skip
    practitioners = [
        {"resourceType": "Practitioner", "id": f"prac-{n}",
         "identifier": [{"system": IDS, "value": f"p-{n}"}]}
        for n in range(30)
    ]  # fmt: skip
    return [*conditions, *practitioners]


def population() -> tuple[list[Json], dict[tuple[str, str], str]]:
    """The demo's patients (one of the first patient's Observations amended) and resources of
    two types kept whole, and for each common search of these types a query on the first
    patient's values, chosen rare among its resources (its least frequent code, type and
    status), so that the declared index is clearly the cheapest plan."""
    resources = demo.generate(patients=20)
    patients = [r["id"] for r in resources if r["resourceType"] == "Patient"]
    resources += kept_whole(patients)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    reference = f"Patient/{patient['id']}"
    chart = [r for r in resources if r.get("subject", {}).get("reference") == reference]
    of = {t: [r for r in chart if r["resourceType"] == t] for t in PLANNED}
    of["Observation"][0]["status"] = "amended"

    def rarest(resource_type: str, values: Any) -> str:
        counted = Counter(v for r in of[resource_type] for v in values(r))
        return str(min(counted, key=lambda v: (counted[v], v)))

    def coding(concept: Json) -> list[str]:
        return [f"{c['system']}|{c['code']}" for c in concept.get("coding", [])]

    def identifier(resource: Json) -> str:
        first = resource["identifier"][0]
        return f"identifier={first['system']}|{first['value']}"

    p = f"patient={reference}"
    queries = {
        ("Patient", "identifier"): identifier(patient),
        ("Observation", "patient+code"): f"{p}&code={rarest('Observation', lambda r: coding(r['code']))}",
        ("Observation", "patient+status"): f"{p}&status=amended",
        ("Observation", "patient+date"): f"{p}&date=ge2020",
        ("Encounter", "patient+code"): f"{p}&type={rarest('Encounter', lambda r: [c for t in r['type'] for c in coding(t)])}",
        ("Encounter", "patient+status"): f"{p}&status={rarest('Encounter', lambda r: [r['status']])}",
        ("Encounter", "patient+date"): f"{p}&date=ge2020",
        ("MedicationStatement", "patient+code"): f"{p}&code={rarest('MedicationStatement', lambda r: coding(r['medicationCodeableConcept']))}",
        ("MedicationStatement", "patient+status"): f"{p}&status={rarest('MedicationStatement', lambda r: [r['status']])}",
        ("MedicationStatement", "patient+date"): f"{p}&effective=ge2020",
        ("Condition", "identifier"): identifier(of["Condition"][1]),
        ("Condition", "patient+code"): f"{p}&code={rarest('Condition', lambda r: coding(r['code']))}",
        ("Condition", "patient+status"): f"{p}&clinical-status={rarest('Condition', lambda r: coding(r['clinicalStatus']))}",
        ("Condition", "patient+date"): f"{p}&onset-date=ge2020",
        ("Practitioner", "identifier"): f"identifier={IDS}|p-7",
    }  # fmt: skip
    defaults = {"patient": p, "identifier": "identifier=urn:nobody|0"}
    for resource_type in PLANNED:
        for name in common_searches(resource_type).keys() & defaults.keys():
            queries.setdefault((resource_type, name), defaults[name])
    return resources, queries


RESOURCES, QUERIES = population()


def test_every_common_search_of_the_planned_types_has_a_query() -> None:
    searches = {(t, name) for t in PLANNED for name in common_searches(t)}
    assert set(QUERIES) == searches


def stages(plan: Any) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(stage, index keys) of every stage of a winning plan, however nested (the classic
    engine's `inputStage`s, `$or` branches, SBE's `queryPlan`)."""
    if isinstance(plan, dict):
        if "stage" in plan:
            yield plan["stage"], tuple(plan.get("keyPattern", {}))
        for value in plan.values():
            yield from stages(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from stages(value)


async def populate(services: Services) -> Services:
    for resource_type in PLANNED:
        documents = stored(r for r in RESOURCES if r["resourceType"] == resource_type)
        written = await services.store(resource_type).insert_many(
            [OwnedDocument(d) for d in documents]
        )
        assert written == {d["_id"] for d in documents}  # MongoDB refused none ("parallel arrays")
    return services


async def winning_plan(
    services: Services, resource_type: str, name: str, shape: str
) -> list[tuple[str, tuple[str, ...]]]:
    """The stages of the plan MongoDB picks for the common search `name`'s query. `count`:
    the filter alone, as a total is counted; `page`: the search's own query, in `_id` order
    with the key scan's limit."""
    store = services.store(resource_type)
    items = [tuple(item.split("=", 1)) for item in QUERIES[resource_type, name].split("&")]
    request = parse(resource_type, items, default_count=10, max_count=10)  # type: ignore[arg-type]
    resolver = StoreResolver(services, ())
    query = await build_filter(resource_type, request.parameters, resolver)
    cursor = store.collection.find(store.storable_filter(query), {"_id": 1})
    if shape == "page":
        cursor = cursor.sort(sort_spec(resource_type, request.sort)).limit(KEYSCAN_LIMIT + 1)
    explained = await cursor.explain()  # type: ignore[attr-defined]
    return list(stages(explained["queryPlanner"]["winningPlan"]))


@pytest.mark.mongodb
@pytest.mark.skipif(URI is None, reason=NEEDS_SERVER)
@pytest.mark.parametrize(("resource_type", "name"), sorted(QUERIES), ids="-".join)
@pytest.mark.parametrize("shape", ["count", "page"])
async def test_each_common_search_uses_its_declared_index(
    services: Services, resource_type: str, name: str, shape: str
) -> None:
    """Each IXSCAN leads with the index the table declares for the search (its date part
    aside: a `ge` is an `$or` of start and end bounds, read after the patient's keys)."""
    plan = await winning_plan(await populate(services), resource_type, name, shape)

    declared = search_keys(common_searches(resource_type)[name])
    leading = declared[:1] if name.endswith("+date") else declared
    scans = [keys for stage, keys in plan if stage == "IXSCAN"]
    assert "COLLSCAN" not in {stage for stage, _ in plan}, plan
    assert scans, plan
    assert all(keys[: len(leading)] == leading for keys in scans), (declared, plan)
