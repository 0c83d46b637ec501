"""FHIR search over HTTP against records loaded through the API (https://hl7.org/fhir/R4/search.html).

The population is `search_fixtures.POPULATION`, PUT once per module; every table below names its
ids by hand from it. Tests that write (paging while records are added, `_lastUpdated`, settings)
use a fresh app of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from httpx import AsyncClient, QueryParams

from gateway.jsonio import Json
from tests.api.search_fixtures import BASE, LOINC, MRN, NOTE, POPULATION, load, patient, put
from tests.conftest import api_client, make_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

FORM = "application/x-www-form-urlencoded"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}

ALL_OBSERVATIONS = sorted(r["id"] for r in POPULATION if r["resourceType"] == "Observation")
MULLER_OBSERVATIONS = ["obs-bp-1", "obs-hr-1", "obs-hr-2", "obs-weight-1", "obs-weight-2"]
RIVERA_OBSERVATIONS = ["obs-bp-2", "obs-glu-a", "obs-glu-b"]
FEMALE_OBSERVATIONS = ["obs-bp-2", "obs-glu-a", "obs-glu-b", "obs-glu-c", "obs-smoking"]
WEIGHTS = ["obs-group", "obs-weight-1", "obs-weight-2"]
ON_2013_01_14 = ["obs-bp-1", "obs-hr-1", "obs-weight-1"]
AFTER_2013_01_14 = ["obs-bp-2", "obs-glu-a", "obs-glu-b", "obs-glu-c", "obs-group", "obs-hr-2",
                    "obs-smoking", "obs-weight-2"]  # fmt: skip
FROM_2020 = ["obs-bp-2", "obs-glu-a", "obs-glu-b", "obs-glu-c", "obs-group"]
BEFORE_2019 = ["obs-bp-1", "obs-hr-1", "obs-hr-2", "obs-weight-1"]


@dataclass(frozen=True)
class Population:
    api: AsyncClient
    stored: dict[str, Json]  # the PUT answers, by `Type/id`


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def population() -> AsyncIterator[Population]:
    async with api_client(make_settings()) as client:
        yield Population(client, await load(client))


@pytest_asyncio.fixture(loop_scope="module")
async def fresh() -> AsyncIterator[AsyncClient]:
    """An app of its own, empty, for tests that write."""
    async with api_client(make_settings()) as client:
        yield client


def items(query: str) -> QueryParams:
    """`a=1&b=x,y` as the spec writes it -> query items, each value percent-encoded by httpx."""
    pairs = [item.partition("=") for item in query.split("&")] if query else []
    return QueryParams([(name, value) for name, _, value in pairs])


async def get(api: AsyncClient, path: str, query: str = "", **kwargs: Any) -> Json:
    response = await api.get(f"/{path}", params=items(query), **kwargs)
    assert response.status_code == 200, response.text
    bundle: Json = response.json()
    return bundle


async def follow(api: AsyncClient, bundle: Json, relation: str) -> Json:
    url = link(bundle, relation)
    assert url is not None, bundle["link"]
    response = await api.get(url)
    assert response.status_code == 200, response.text
    followed: Json = response.json()
    return followed


async def walk(api: AsyncClient, bundle: Json, relation: str, *, limit: int = 30) -> list[Json]:
    """`bundle` and the pages its `relation` links lead to, one after another."""
    pages = [bundle]
    while link(pages[-1], relation):
        assert len(pages) < limit, f"more than {limit} pages: the links go round in a circle"
        pages.append(await follow(api, pages[-1], relation))
    return pages


def link(bundle: Json, relation: str) -> str | None:
    return next((x["url"] for x in bundle["link"] if x["relation"] == relation), None)


def cursor_of(url: str | None) -> str:
    assert url is not None
    return parse_qs(urlsplit(url).query)["_cursor"][0]


def in_order(bundle: Json, mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def matches(bundle: Json) -> list[str]:
    return sorted(in_order(bundle))


def included(bundle: Json) -> list[str]:
    entries = [e for e in bundle.get("entry", []) if e["search"]["mode"] == "include"]
    return sorted(f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries)


def outcomes(bundle: Json) -> list[Json]:
    return [e for e in bundle.get("entry", []) if e["search"]["mode"] == "outcome"]


def without_identity(bundle: Json) -> Json:
    """The Bundle less what differs on every response: its id and meta.lastUpdated."""
    assert isinstance(bundle["id"], str)
    assert bundle["meta"]["lastUpdated"].endswith("Z")
    return {k: v for k, v in bundle.items() if k not in ("id", "meta")}


def entry(stored: dict[str, Json], key: str, mode: str = "match") -> Json:
    return {"fullUrl": f"{BASE}/{key}", "resource": stored[key], "search": {"mode": mode}}


def subsetted(resource: Json, *keys: str) -> Json:
    kept = {k: v for k, v in resource.items() if k in ("resourceType", "id", *keys)}
    return {**kept, "meta": {**resource["meta"], "tag": [SUBSETTED]}}


def without_diagnostics(outcome: Json) -> list[Json]:
    return [{k: v for k, v in issue.items() if k != "diagnostics"} for issue in outcome["issue"]]


async def assert_finds(api: AsyncClient, path: str, query: str, expected: list[str]) -> None:
    bundle = await get(api, path, query)
    assert (bundle["total"], matches(bundle)) == (len(expected), expected)


# --- Parameter types ------------------------------------------------------------------------

STRING_CASES = [
    pytest.param("Patient", "name=muller", ["pat-muller"], id="default-ignores-accents"),
    pytest.param("Patient", "name=MÜL", ["pat-muller"], id="default-ignores-case-and-is-a-prefix"),
    pytest.param("Patient", "name=jür", ["pat-muller"], id="name-matches-a-given-name"),
    pytest.param("Patient", "name=castillo", ["pat-rivera"], id="name-matches-any-of-several-names"),
    pytest.param("Patient", "name=dr", ["pat-smith"], id="name-matches-a-prefix-part"),
    pytest.param("Patient", "name=séverine ng", ["pat-ng"], id="name-matches-the-name-text"),
    pytest.param("Patient", "name=eve", ["pat-smith"], id="default-is-starts-with-not-contains"),
    pytest.param("Patient", "name:contains=eve", ["pat-ng", "pat-smith"],
                 id="contains-matches-inside-a-word"),
    pytest.param("Patient", "name:contains=(guest)", ["pat-ng"],
                 id="contains-takes-punctuation-literally"),
    pytest.param("Patient", "name:exact=Müller", ["pat-muller"], id="exact-matches-the-whole-string"),
    pytest.param("Patient", "name:exact=muller", [], id="exact-respects-accents-and-case"),
    pytest.param("Patient", "name:exact=Mül", [], id="exact-is-not-a-prefix"),
    pytest.param("Patient", "family=rivera", ["pat-rivera"], id="family"),
    pytest.param("Patient", "family=ana", [], id="family-ignores-given-names"),
    pytest.param("Patient", "given=maria", ["pat-rivera"], id="given-ignores-accents"),
    pytest.param("Patient", "address-city=bos", ["pat-rivera"], id="address-city-prefix"),
    pytest.param("Patient", "address-city:exact=Berlin", ["pat-muller"], id="address-city-exact"),
    pytest.param("Patient", "address-city:exact=berlin", [], id="address-city-exact-case"),
    pytest.param("Patient", "address=MA", ["pat-rivera", "pat-smith"], id="address-matches-state"),
    pytest.param("Patient", "address=hauptstrasse", ["pat-muller"],
                 id="address-matches-a-line-with-sharp-s-folded"),
    pytest.param("Patient", "address:contains=auptstr", ["pat-muller"], id="address-contains"),
    pytest.param("Patient", "address-postalcode=101", ["pat-muller"], id="address-postalcode"),
    pytest.param("Patient", "address-country=us", ["pat-rivera", "pat-smith"],
                 id="address-country"),
    pytest.param("Observation", "value-string=feels", ["obs-note"], id="value-string"),
    pytest.param("Observation", "value-string=former", ["obs-smoking"],
                 id="value-string-matches-codeable-concept-text"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), STRING_CASES)
async def test_string_search_matches_prefixes_without_case_or_accents_unless_exact(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


GENDER = "http://hl7.org/fhir/administrative-gender"
TOKEN_CASES = [
    pytest.param("Patient", "gender=female", ["pat-rivera", "pat-smith"], id="code"),
    pytest.param("Patient", f"gender={GENDER}|male", ["pat-muller"], id="system-and-code"),
    pytest.param("Patient", f"gender={GENDER}|", ["pat-muller", "pat-rivera", "pat-smith"],
                 id="system-and-any-code"),
    pytest.param("Patient", "gender=http://example.org/other|male", [], id="another-system"),
    pytest.param("Patient", "gender:not=female", ["pat-muller", "pat-ng"],
                 id="not-includes-resources-without-the-element"),
    pytest.param("Patient", "gender:not=male,female", ["pat-ng"], id="not-with-a-list-is-neither"),
    pytest.param("Patient", "active=true", ["pat-muller", "pat-rivera"], id="boolean-true"),
    pytest.param("Patient", "active=false", ["pat-smith"], id="boolean-false"),
    pytest.param("Patient", "active:not=true", ["pat-ng", "pat-smith"],
                 id="boolean-not-includes-absent"),
    pytest.param("Patient", "deceased=true", ["pat-ng", "pat-rivera"],
                 id="deceased-from-boolean-or-datetime"),
    pytest.param("Patient", "deceased=false", ["pat-muller", "pat-smith"],
                 id="deceased-false-when-false-or-absent"),
    pytest.param("Patient", "identifier=MRN-001", ["pat-muller"], id="identifier-value"),
    pytest.param("Patient", f"identifier={MRN}|MRN-002", ["pat-rivera"],
                 id="identifier-system-and-value"),
    pytest.param("Patient", f"identifier={MRN}|", ["pat-muller", "pat-rivera", "pat-smith"],
                 id="identifier-system-only"),
    pytest.param("Patient", "identifier=|MRN-002", [], id="no-system-excludes-identifiers-with-one"),
    pytest.param("Patient", f"identifier:of-type={V2_0203}|MR|MRN-001", ["pat-muller"],
                 id="identifier-of-type"),
    pytest.param("Patient", f"identifier:of-type={V2_0203}|SS|123-45-6789", ["pat-smith"],
                 id="identifier-of-type-second-identifier"),
    pytest.param("Patient", f"identifier:of-type={V2_0203}|MR|MRN-002", [],
                 id="of-type-needs-the-type-on-the-same-identifier"),
    pytest.param("Patient", "identifier:text=social", ["pat-smith"], id="identifier-text"),
    pytest.param("Patient", "phone=555-0103", ["pat-smith"], id="phone"),
    pytest.param("Patient", "phone=j.mueller@example.de", [], id="phone-ignores-emails"),
    pytest.param("Patient", "email=ana.rivera@example.org", ["pat-rivera"], id="email"),
    pytest.param("Patient", "telecom=+49 30 5550101", ["pat-muller"], id="telecom-any-system"),
    pytest.param("Patient", "_id=pat-muller,pat-ng", ["pat-muller", "pat-ng"], id="ids"),
    pytest.param("Observation", "code=29463-7", WEIGHTS, id="codeable-concept-code"),
    pytest.param("Observation", f"code={LOINC}|8867-4", ["obs-hr-1", "obs-hr-2"],
                 id="codeable-concept-system-and-code"),
    pytest.param("Observation", "code=|note", ["obs-note"],
                 id="no-system-matches-a-coding-without-one"),
    pytest.param("Observation", "code=|29463-7", [], id="no-system-excludes-codings-with-one"),
    pytest.param("Observation", f"code={LOINC}|",
                 [i for i in ALL_OBSERVATIONS if i != "obs-note"], id="system-only"),
    pytest.param("Observation", "code:text=body", WEIGHTS, id="text-matches-concept-text"),
    pytest.param("Observation", "code:text=blood p", ["obs-bp-1", "obs-bp-2"],
                 id="text-matches-display"),
    pytest.param("Observation", "code:not=29463-7",
                 [i for i in ALL_OBSERVATIONS if i not in WEIGHTS], id="not-code"),
    pytest.param("Observation", "category:not=vital-signs",
                 ["obs-glu-a", "obs-glu-b", "obs-glu-c", "obs-note", "obs-smoking"],
                 id="not-includes-observations-without-category"),
    pytest.param("Observation", "status=preliminary", ["obs-glu-c"], id="status"),
    pytest.param("Observation", "value-concept=http://snomed.info/sct|8517006", ["obs-smoking"],
                 id="value-concept"),
    pytest.param("Observation", "value-concept:text=ex-smo", ["obs-smoking"],
                 id="value-concept-text"),
    pytest.param("Observation", "component-code=8480-6", ["obs-bp-1", "obs-bp-2"],
                 id="component-code"),
    pytest.param("Observation", "combo-code=8867-4,8480-6",
                 ["obs-bp-1", "obs-bp-2", "obs-hr-1", "obs-hr-2"], id="combo-code"),
    pytest.param("Encounter", "class=AMB", ["enc-1", "enc-3"], id="coding"),
    pytest.param("Encounter", "class=http://terminology.hl7.org/CodeSystem/v3-ActCode|IMP",
                 ["enc-2"], id="coding-system-and-code"),
    pytest.param("Encounter", "status=finished,planned", ["enc-1", "enc-3", "enc-4"],
                 id="encounter-status"),
    pytest.param("Encounter", "type:text=check", ["enc-1", "enc-3"], id="encounter-type-text"),
    pytest.param("Encounter", "participant-type=PPRF", ["enc-1", "enc-2"],
                 id="participant-type"),
    pytest.param("MedicationStatement", "code=197361", ["med-1"], id="medication-code"),
    pytest.param("MedicationStatement",
                 "status=http://hl7.org/fhir/CodeSystem/medication-statement-status|active",
                 ["med-1", "med-3"], id="medication-status-with-its-system"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), TOKEN_CASES)
async def test_token_search_matches_system_and_code_forms_and_modifiers(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


DATE_CASES = [
    # search.html#date: eq2013-01-14 matches 2013-01-14T00:00 and 2013-01-14T10:00, not
    # 2013-01-15T00:00; ne2013-01-14 the other way round.
    pytest.param("Observation", "date=2013-01-14", ON_2013_01_14, id="day-contains-instants"),
    pytest.param("Observation", "date=eq2013-01-14", ON_2013_01_14, id="eq-day"),
    pytest.param("Observation", "date=ne2013-01-14", AFTER_2013_01_14, id="ne-day"),
    pytest.param("Observation", "date=2013-01-14T10:00", ["obs-weight-1"], id="minute-precision"),
    pytest.param("Observation", "date=lt2013-01-14T10:00", ["obs-bp-1", "obs-hr-1"], id="lt"),
    pytest.param("Observation", "date=le2013-01-14T10:00", ON_2013_01_14, id="le"),
    pytest.param("Observation", "date=gt2013-01-14T10:00", AFTER_2013_01_14, id="gt"),
    pytest.param("Observation", "date=ge2020-02-01", FROM_2020, id="ge"),
    pytest.param("Observation", "date=sa2019", FROM_2020, id="sa"),
    pytest.param("Observation", "date=sa2013-01-14", AFTER_2013_01_14,
                 id="sa-includes-a-target-starting-at-the-bound"),
    pytest.param("Observation", "date=eb2019", BEFORE_2019, id="eb"),
    pytest.param("Observation", "date=eb2019-06", [*BEFORE_2019, "obs-weight-2"],
                 id="eb-includes-a-month-ending-at-the-bound"),
    pytest.param("Observation", "date=ap2013-01-14", ["obs-bp-1", "obs-hr-1", "obs-hr-2",
                 "obs-weight-1"], id="ap-widens-the-range"),
    pytest.param("Observation", "date=2019", ["obs-smoking", "obs-weight-2"],
                 id="year-contains-a-month-target"),
    pytest.param("Observation", "date=2019-05", ["obs-weight-2"],
                 id="month-does-not-contain-a-year-target"),
    pytest.param("Observation", "date=2019-05-10", [], id="day-does-not-contain-a-month-target"),
    pytest.param("Observation", "date=gt2030", ["obs-glu-a"], id="open-period-runs-on"),
    pytest.param("Observation", "date=2020-02", ["obs-bp-2", "obs-glu-b"],
                 id="open-period-is-not-within-a-month"),
    pytest.param("Observation", "date=2021-07-01T10:00:00Z", ["obs-glu-c"],
                 id="offsets-compare-in-utc"),
    pytest.param("Observation", "date=2021-07-01T12:00:00+02:00", ["obs-glu-c"],
                 id="search-value-with-offset"),
    pytest.param("Observation", "date=2021-07-01T10:00:00", ["obs-glu-c"],
                 id="search-value-without-zone-is-utc"),
    pytest.param("Observation", "_lastUpdated=gt2000-01-01", ALL_OBSERVATIONS,
                 id="last-updated-gt"),
    pytest.param("Observation", "_lastUpdated=lt2000-01-01", [], id="last-updated-lt"),
    pytest.param("Encounter", "date=2013-01-14", ["enc-1"], id="period-within-a-day"),
    pytest.param("Encounter", "date=2013-01", ["enc-1", "enc-3"], id="periods-within-a-month"),
    pytest.param("Encounter", "date=ge2021", ["enc-2"], id="open-encounter-continues"),
    pytest.param("Encounter", "date=sa2013-01-14", ["enc-2", "enc-3"], id="period-sa"),
    pytest.param("Encounter", "date=eb2013-01-15", ["enc-1"], id="period-eb"),
    pytest.param("Patient", "birthdate=1980", ["pat-rivera", "pat-smith"],
                 id="birthdate-year-contains-year-and-month"),
    pytest.param("Patient", "birthdate=1980-06", ["pat-smith"], id="birthdate-month"),
    pytest.param("Patient", "birthdate=1980-06-15", [], id="birthdate-day-within-partial-dates"),
    pytest.param("Patient", "birthdate=lt1980-06-15", ["pat-muller", "pat-rivera", "pat-smith"],
                 id="birthdate-lt-partial-dates-starting-before"),
    pytest.param("Patient", "birthdate=gt1980-06-15", ["pat-rivera", "pat-smith"],
                 id="birthdate-gt-partial-dates-ending-after"),
    pytest.param("Patient", "birthdate=ge1975", ["pat-rivera", "pat-smith"], id="birthdate-ge"),
    pytest.param("Patient", "birthdate=le1974-12-25", ["pat-muller"], id="birthdate-le"),
    pytest.param("Patient", "death-date=2021", ["pat-rivera"], id="death-date"),
    pytest.param("MedicationStatement", "effective=ge2030", ["med-1"],
                 id="open-medication-period"),
    pytest.param("MedicationStatement", "effective=2020-02-01", ["med-2"], id="effective-day"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), DATE_CASES)
async def test_date_search_compares_ranges_by_precision_and_prefix(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


REFERENCE_CASES = [
    pytest.param("Observation", "patient=pat-muller", MULLER_OBSERVATIONS, id="id"),
    pytest.param("Observation", "patient=Patient/pat-rivera", RIVERA_OBSERVATIONS,
                 id="type-and-id-match-an-absolute-reference-on-our-base"),
    pytest.param("Observation", f"patient={BASE}/Patient/pat-rivera", RIVERA_OBSERVATIONS,
                 id="absolute-url-on-our-base"),
    pytest.param("Observation", "patient=http://other.example/fhir/Patient/pat-rivera", [],
                 id="absolute-url-elsewhere"),
    pytest.param("Observation", "subject:Patient=pat-smith", ["obs-glu-c", "obs-smoking"],
                 id="type-modifier"),
    pytest.param("Observation", "subject=grp-1", ["obs-group"], id="id-of-any-target-type"),
    pytest.param("Observation", "subject=Group/grp-1", ["obs-group"], id="group"),
    pytest.param("Observation", "subject:Patient=grp-1", [], id="type-modifier-excludes-others"),
    pytest.param("Observation", "patient=Group/grp-1", [], id="patient-is-never-a-group"),
    pytest.param("Observation", "encounter=enc-1", ["obs-bp-1", "obs-weight-1"], id="encounter"),
    pytest.param("Encounter", "participant=Practitioner/prac-1", ["enc-1"], id="participant"),
    pytest.param("Encounter", "practitioner=prac-2", ["enc-2"], id="practitioner"),
    pytest.param("Encounter", "patient=pat-muller", ["enc-1", "enc-4"], id="encounter-patient"),
    pytest.param("MedicationStatement", "context=enc-1", ["med-1"], id="context"),
    pytest.param("MedicationStatement", "medication=medication-9", ["med-3"], id="medication"),
    pytest.param("MedicationStatement", "patient=pat-muller,pat-smith", ["med-1", "med-3"],
                 id="or-of-references"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), REFERENCE_CASES)
async def test_reference_search_accepts_id_type_and_id_and_our_absolute_urls(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


UCUM_MG = "http://unitsofmeasure.org|mg"
QUANTITY_CASES = [
    pytest.param(f"value-quantity=5.4|{UCUM_MG}", ["obs-glu-a"], id="number-system-and-code"),
    pytest.param("value-quantity=5.4||mg", ["obs-glu-a", "obs-glu-b"],
                 id="no-system-matches-code-or-unit"),
    pytest.param("value-quantity=5.4", ["obs-glu-a", "obs-glu-b"], id="number-in-any-unit"),
    pytest.param(f"value-quantity=le5.4|{UCUM_MG}", ["obs-glu-a"], id="le-with-system"),
    pytest.param("value-quantity=lt5.45||mg", ["obs-glu-a", "obs-glu-b"], id="lt-is-exact"),
    pytest.param("value-quantity=5.40", ["obs-glu-a"], id="eq-range-narrows-with-precision"),
    pytest.param("value-quantity=5", ["obs-glu-a", "obs-glu-b", "obs-glu-c"],
                 id="eq-one-significant-figure-is-4.5-to-5.5"),
    pytest.param("value-quantity=eq5.45", ["obs-glu-c"], id="eq-5.45"),
    pytest.param("value-quantity=ne5.4", ["obs-glu-c", "obs-group", "obs-hr-1", "obs-hr-2",
                 "obs-weight-1", "obs-weight-2"], id="ne-outside-the-implied-range"),
    pytest.param("value-quantity=gt80|http://unitsofmeasure.org|kg",
                 ["obs-weight-1", "obs-weight-2"], id="gt-with-unit"),
    pytest.param("value-quantity=ap86", ["obs-hr-2", "obs-weight-1", "obs-weight-2"],
                 id="ap-within-ten-percent"),
    pytest.param("value-quantity=70|http://unitsofmeasure.org|[lb_av]", [],
                 id="another-unit-is-not-converted"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), QUANTITY_CASES)
async def test_quantity_search_matches_number_ranges_and_units(
    population: Population, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, "Observation", query, expected)


COMPOSITE_CASES = [
    pytest.param(f"code-value-quantity={LOINC}|29463-7$ge86", ["obs-weight-2"],
                 id="code-value-quantity"),
    pytest.param("code-value-quantity=29463-7$85.4", ["obs-weight-1"], id="code-value-exact"),
    pytest.param("code-value-quantity=8867-4$85.4", [], id="value-belongs-to-another-code"),
    pytest.param("code-value-quantity=29463-7$5.4,8867-4$72", ["obs-hr-1"], id="or-of-pairs"),
    pytest.param(f"component-code-value-quantity={LOINC}|8480-6$gt140", ["obs-bp-2"],
                 id="component-code-value-quantity"),
    pytest.param("component-code-value-quantity=8462-4$80", ["obs-bp-1"], id="diastolic"),
    pytest.param("component-code-value-quantity=8480-6$80", [],
                 id="both-parts-match-the-same-component"),
    pytest.param("combo-code-value-quantity=8867-4$72", ["obs-hr-1"],
                 id="combo-matches-the-observation-itself"),
    pytest.param("combo-code-value-quantity=8480-6$120", ["obs-bp-1"],
                 id="combo-matches-a-component"),
    pytest.param(f"code-value-concept={LOINC}|72166-2$http://snomed.info/sct|8517006",
                 ["obs-smoking"], id="code-value-concept"),
    pytest.param("code-value-string=note$feels", ["obs-note"], id="code-value-string"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), COMPOSITE_CASES)
async def test_composite_search_matches_all_parts_on_one_element(
    population: Population, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, "Observation", query, expected)


MISSING_CASES = [
    pytest.param("Patient", "birthdate:missing=true", ["pat-ng"], id="date-true"),
    pytest.param("Patient", "birthdate:missing=false", ["pat-muller", "pat-rivera", "pat-smith"],
                 id="date-false"),
    pytest.param("Patient", "gender:missing=true", ["pat-ng"], id="code"),
    pytest.param("Patient", "active:missing=true", ["pat-ng"], id="boolean"),
    pytest.param("Patient", "identifier:missing=true", ["pat-ng"], id="identifier"),
    pytest.param("Patient", "address-city:missing=false", ["pat-muller", "pat-rivera",
                 "pat-smith"], id="string"),
    pytest.param("Observation", "date:missing=true", ["obs-note"], id="effective"),
    pytest.param("Observation", "value-quantity:missing=true",
                 ["obs-bp-1", "obs-bp-2", "obs-note", "obs-smoking"], id="quantity"),
    pytest.param("Observation", "value-concept:missing=false", ["obs-smoking"], id="concept"),
    pytest.param("Observation", "category:missing=true", ["obs-note"], id="category"),
    pytest.param("Observation", "encounter:missing=false",
                 ["obs-bp-1", "obs-bp-2", "obs-weight-1"], id="reference"),
    pytest.param("Encounter", "date:missing=true", ["enc-4"], id="period"),
    pytest.param("MedicationStatement", "effective:missing=true", ["med-3"], id="effective[x]"),
    pytest.param("Patient", "email:missing=true", ["pat-ng", "pat-smith"],
                 id="email-true-with-only-a-phone"),
    pytest.param("Patient", "phone:missing=false", ["pat-muller", "pat-smith"],
                 id="phone-false-without-a-phone"),
    pytest.param("Observation", "patient:missing=true", ["obs-group"],
                 id="patient-true-with-a-group-subject"),
    pytest.param("Observation", "patient:missing=false",
                 [i for i in ALL_OBSERVATIONS if i != "obs-group"],
                 id="patient-false-without-the-group-subject"),
    pytest.param("Observation", "subject:missing=false", ALL_OBSERVATIONS,
                 id="subject-false-with-any-subject"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), MISSING_CASES)
async def test_missing_selects_resources_with_or_without_a_value(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


COMBINING_CASES = [
    pytest.param("Patient", "gender=female&birthdate=1980-06", ["pat-smith"],
                 id="and-across-parameters"),
    pytest.param("Patient", "given=ana&given=maria", ["pat-rivera"], id="and-of-one-parameter"),
    pytest.param("Patient", "given=ana&given=eve", [], id="and-needs-both"),
    pytest.param("Patient", "_id=pat-muller&_id=pat-ng", [], id="and-of-two-ids"),
    pytest.param("Patient", "name=rivera,smith", ["pat-rivera", "pat-smith"], id="or-with-commas"),
    pytest.param("Observation", "code=29463-7,8867-4&patient=pat-muller",
                 ["obs-hr-1", "obs-hr-2", "obs-weight-1", "obs-weight-2"], id="or-and-and"),
    pytest.param("Observation", "date=ge2013-01-14&date=lt2013-01-15", ON_2013_01_14,
                 id="and-makes-a-date-range"),
    pytest.param("Observation", r"value-string=feels well\, sleeps", ["obs-note"],
                 id="escaped-comma-is-part-of-the-value"),
    pytest.param("Observation", r"value-string=feels well\, eats", [],
                 id="escaped-comma-does-not-split"),
    pytest.param("Observation", "value-string=feels well,eats", ["obs-note"],
                 id="unescaped-comma-splits"),
    pytest.param("Observation", r"value-string:exact=Feels well\, sleeps poorly", ["obs-note"],
                 id="escaped-comma-in-exact"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), COMBINING_CASES)
async def test_repeats_are_and_commas_are_or_and_backslash_escapes(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


CHAIN_CASES = [
    pytest.param("Observation", "patient.name=müller", MULLER_OBSERVATIONS, id="patient.name"),
    pytest.param("Observation", "patient.name:exact=Müller", MULLER_OBSERVATIONS,
                 id="modifier-on-the-last-link"),
    pytest.param("Observation", f"patient.identifier={MRN}|MRN-002", RIVERA_OBSERVATIONS,
                 id="patient.identifier"),
    pytest.param("Observation", "patient.birthdate=1980", FEMALE_OBSERVATIONS,
                 id="patient.birthdate"),
    pytest.param("Observation", "subject:Patient.gender=female", FEMALE_OBSERVATIONS,
                 id="subject-typed"),
    pytest.param("Observation", "subject.gender=female", FEMALE_OBSERVATIONS,
                 id="subject-untyped-reaches-the-targets-with-gender"),
    pytest.param("Observation", "patient.birthdate:missing=true", ["obs-note"],
                 id="missing-at-the-end-of-a-chain"),
    pytest.param("Observation", "encounter.date=2013-01-14", ["obs-bp-1", "obs-weight-1"],
                 id="encounter.date"),
    pytest.param("Observation", "encounter.patient.name=rivera", ["obs-bp-2"], id="two-links"),
    pytest.param("Encounter", "patient.name=smith", ["enc-3"], id="encounter-patient.name"),
    pytest.param("MedicationStatement", "patient.gender=male", ["med-1"],
                 id="medication-patient.gender"),
    pytest.param("Patient", "_has:Observation:patient:code=85354-9",
                 ["pat-muller", "pat-rivera"], id="has-observation-code"),
    pytest.param("Patient", "_has:Observation:patient:combo-code-value-quantity=8480-6$gt140",
                 ["pat-rivera"], id="has-composite"),
    pytest.param("Patient", "_has:Observation:patient:code=29463-7&gender=male", ["pat-muller"],
                 id="has-and-a-parameter"),
    pytest.param("Patient", "_has:Encounter:patient:status=finished", ["pat-muller", "pat-smith"],
                 id="has-encounter"),
    pytest.param("Patient", "_has:MedicationStatement:patient:status=active",
                 ["pat-muller", "pat-smith"], id="has-medication-statement"),
    pytest.param("Encounter", "_has:Observation:encounter:code=85354-9", ["enc-1", "enc-2"],
                 id="has-on-encounter"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), CHAIN_CASES)
async def test_chains_and_reverse_chains_follow_references(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


INJECTION_CASES = [
    pytest.param("Patient", "name=.*", [], id="regex-wildcard"),
    pytest.param("Patient", "name:contains=.*", [], id="contains-regex-wildcard"),
    pytest.param("Patient", "name:exact=.*", [], id="exact-regex-wildcard"),
    pytest.param("Patient", "name=d.", [], id="dot-is-not-any-character"),
    pytest.param("Patient", "name:contains=.", ["pat-smith"], id="dot-matches-a-dot"),
    pytest.param("Patient", "name=$where", [], id="dollar-operator"),
    pytest.param("Patient", "name=(", [], id="open-parenthesis"),
    pytest.param("Patient", "name=[a-z]", [], id="character-class"),
    pytest.param("Patient", "name=^", [], id="caret"),
    pytest.param("Patient", "name=\\", [], id="backslash"),
    pytest.param("Patient", "name=\x00", [], id="nul"),
    pytest.param("Patient", "family=a|b", [], id="alternation"),
    pytest.param("Patient", 'identifier={"$gt":""}', [], id="json-operator-in-a-token"),
    pytest.param("Patient", '_id={"$ne":null}', [], id="json-operator-in-an-id"),
    pytest.param("Observation", 'code={"$exists":true}', [], id="json-operator-in-a-code"),
    pytest.param("Observation", 'patient={"$gt":""}', [], id="json-operator-in-a-reference"),
    pytest.param("Patient", '_has:Observation:patient:code={"$gt":""}', [],
                 id="json-operator-in-a-reverse-chain"),
    pytest.param("Patient", "gender[$ne]=x", ["pat-muller", "pat-ng", "pat-rivera", "pat-smith"],
                 id="operator-in-a-name-is-an-unknown-parameter"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), INJECTION_CASES)
async def test_operator_and_regex_characters_match_literally(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    await assert_finds(population.api, path, query, expected)


# --- Invalid searches -----------------------------------------------------------------------

INVALID_CASES = [
    pytest.param("Patient", "birthdate=2013-13-45", "birthdate", id="bad-date"),
    pytest.param("Patient", "birthdate=xx2013", "birthdate", id="bad-prefix"),
    pytest.param("Patient", "birthdate=ge", "birthdate", id="prefix-without-a-date"),
    pytest.param("Patient", 'birthdate={"$gt":""}', "birthdate", id="json-as-a-date"),
    pytest.param("Observation", "value-quantity=abc", "value-quantity", id="quantity-not-a-number"),
    pytest.param("Observation", 'value-quantity={"$gt":0}', "value-quantity", id="json-quantity"),
    pytest.param("Observation", "value-quantity=5.4|mg", "value-quantity", id="quantity-two-parts"),
    pytest.param("Observation", "value-quantity=1e400", "value-quantity", id="quantity-too-large"),
    pytest.param("Observation", "code-value-quantity=29463-7", "code-value-quantity",
                 id="composite-missing-a-part"),
    pytest.param("Patient", "_count=abc", "_count", id="count-not-a-number"),
    pytest.param("Patient", "_count=-1", "_count", id="count-negative"),
    pytest.param("Patient", "_sort=banana", "_sort", id="sort-unknown-parameter"),
    pytest.param("Patient", "_sort=$where", "_sort", id="sort-operator"),
    pytest.param("Patient", "_sort=address", "_sort", id="sort-parameter-without-an-order"),
    pytest.param("Patient", "_cursor=garbage", "_cursor", id="cursor-not-ours"),
    pytest.param("Patient", "name:sounds=x", "name", id="unknown-modifier"),
    pytest.param("Patient", "birthdate:exact=2013", "birthdate", id="modifier-of-another-type"),
    pytest.param("Patient", "gender:missing=maybe", "gender:missing", id="missing-maybe"),
    pytest.param("Patient", "active=maybe", "active", id="boolean-maybe"),
    pytest.param("Patient", f"identifier:of-type={V2_0203}|MR", "identifier",
                 id="of-type-without-a-value"),
    pytest.param("Patient", "_total=bogus", "_total", id="total"),
    pytest.param("Patient", "_summary=bogus", "_summary", id="summary"),
    pytest.param("Patient", "_include=Observation:bogus", "_include", id="include"),
    pytest.param("Patient", "_revinclude=*", "_revinclude", id="revinclude-wildcard"),
    pytest.param("Patient", "_revinclude=*:*", "_revinclude", id="revinclude-wildcard-source"),
    pytest.param("Patient", "_revinclude=*:patient", "_revinclude",
                 id="revinclude-wildcard-source-named-parameter"),
    pytest.param("Patient", "_has:Observation:patient=x", "_has:Observation:patient",
                 id="has-without-a-parameter"),
    pytest.param("Patient", "_has:Observation:bogus:code=x", "_has:Observation:bogus:code",
                 id="has-unknown-reference"),
    pytest.param("Observation", "subject.nosuch=female", "subject.nosuch",
                 id="chain-no-target-has-the-parameter"),
    pytest.param("Observation", "subject:Organization.name=x", "subject:Organization.name",
                 id="chain-type-not-a-target"),
    pytest.param("Encounter", "practitioner.colour=x", "practitioner.colour",
                 id="chain-to-a-parameter-the-target-lacks"),
    pytest.param("Observation", "subject:Group.name=x", "subject:Group.name",
                 id="typed-chain-to-a-parameter-the-target-lacks"),
    pytest.param("Observation/$lastn", "max=0", "max", id="lastn-max-zero"),
    pytest.param("Observation/$lastn", "max=101", "max", id="lastn-max-too-large"),
    pytest.param("Observation/$lastn", "max=abc", "max", id="lastn-max-not-a-number"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expression"), INVALID_CASES)
async def test_invalid_search_is_400_naming_the_parameter(
    population: Population, path: str, query: str, expression: str
) -> None:
    response = await population.api.get(f"/{path}", params=items(query))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert without_diagnostics(body) == [
        {"severity": "error", "code": "invalid", "expression": [expression]}
    ]
    assert body["issue"][0]["diagnostics"]


async def test_a_cursor_from_another_search_is_400(population: Population) -> None:
    page = await get(population.api, "Observation", "_sort=date&_count=2")
    cursor = cursor_of(link(page, "next"))
    response = await population.api.get(
        "/Observation", params={"_sort": "code,date", "_count": "2", "_cursor": cursor}
    )
    assert response.status_code == 400, response.text
    assert without_diagnostics(response.json()) == [
        {"severity": "error", "code": "invalid", "expression": ["_cursor"]}
    ]


# --- Unknown parameters and handling --------------------------------------------------------


async def test_unknown_parameter_is_ignored_reported_and_left_out_of_the_links(
    population: Population,
) -> None:
    bundle = await get(population.api, "Patient", "gender=male&foo=bar")
    self_url = f"{BASE}/Patient?gender=male&_count=20"
    assert bundle["link"] == [
        {"relation": "self", "url": self_url},
        {"relation": "first", "url": self_url},
    ]
    assert bundle["entry"][0] == entry(population.stored, "Patient/pat-muller")
    (reported,) = outcomes(bundle)
    assert reported["search"] == {"mode": "outcome"}
    assert reported["resource"]["resourceType"] == "OperationOutcome"
    assert without_diagnostics(reported["resource"]) == [
        {"severity": "warning", "code": "not-supported"}
    ]
    assert "`foo`" in reported["resource"]["issue"][0]["diagnostics"]
    assert (bundle["total"], len(bundle["entry"])) == (1, 2)


async def test_lenient_handling_is_the_default(population: Population) -> None:
    bundle = await get(
        population.api, "Patient", "gender=male&foo=bar", headers={"Prefer": "handling=lenient"}
    )
    assert (matches(bundle), len(outcomes(bundle))) == (["pat-muller"], 1)


async def test_strict_handling_rejects_an_unknown_parameter(population: Population) -> None:
    response = await population.api.get(
        "/Patient", params={"gender": "male", "foo": "bar"}, headers={"Prefer": "handling=strict"}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert without_diagnostics(body) == [
        {"severity": "error", "code": "invalid", "expression": ["foo"]}
    ]
    assert "`foo`" in body["issue"][0]["diagnostics"]


async def test_known_parameters_pass_strict_handling(population: Population) -> None:
    bundle = await get(
        population.api, "Patient", "gender=male", headers={"Prefer": "handling=strict"}
    )
    assert (matches(bundle), outcomes(bundle)) == (["pat-muller"], [])


# --- The searchset Bundle and paging --------------------------------------------------------


async def test_a_page_is_a_searchset_with_total_links_and_full_urls(
    population: Population,
) -> None:
    stored = population.stored
    first = await get(population.api, "Observation", "code=29463-7&_count=2")
    url = f"{BASE}/Observation?code=29463-7&_count=2"
    next_url = f"{url}&_cursor={cursor_of(link(first, 'next'))}"
    assert without_identity(first) == {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 3,
        "link": [
            {"relation": "self", "url": url},
            {"relation": "first", "url": url},
            {"relation": "next", "url": next_url},
        ],
        "entry": [
            entry(stored, "Observation/obs-group"),
            entry(stored, "Observation/obs-weight-1"),
        ],
    }
    second = await follow(population.api, first, "next")
    assert without_identity(second) == {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 3,
        "link": [
            {"relation": "self", "url": next_url},
            {"relation": "first", "url": url},
            {"relation": "previous", "url": f"{url}&_cursor={cursor_of(link(second, 'previous'))}"},
        ],
        "entry": [entry(stored, "Observation/obs-weight-2")],
    }


async def test_previous_link_returns_the_previous_page(population: Population) -> None:
    api = population.api
    first = await get(api, "Observation", "_sort=-date&_count=4")
    second = await follow(api, first, "next")
    third = await follow(api, second, "next")
    back_to_second = await follow(api, third, "previous")
    back_to_first = await follow(api, back_to_second, "previous")
    assert [in_order(back_to_second), in_order(back_to_first)] == [
        in_order(second),
        in_order(first),
    ]
    assert [link(back_to_first, "previous"), link(first, "previous")] == [None, None]


PAGED_SEARCHES = [
    pytest.param("Observation", "_sort=date", id="date"),
    pytest.param("Observation", "_sort=-date", id="date-descending"),
    pytest.param("Observation", "_sort=code,-date", id="code-then-date"),
    pytest.param("Observation", "_sort=-value-quantity", id="value-descending-with-missing"),
    pytest.param("Observation", "_sort=-_lastUpdated", id="last-updated"),
    pytest.param("Observation", "_total=none", id="total-none"),
    pytest.param("Patient", "_sort=gender,-birthdate", id="patient-two-keys-with-missing"),
    pytest.param("Encounter", "_sort=-date", id="encounter-date"),
]


@pytest.mark.parametrize("count", [1, 5])
@pytest.mark.parametrize(("path", "query"), PAGED_SEARCHES)
async def test_next_links_visit_every_match_once_in_order(
    population: Population, path: str, query: str, count: int
) -> None:
    api = population.api
    whole = in_order(await get(api, path, f"{query}&_count=100"))
    first = await get(api, path, f"{query}&_count={count}")
    pages = [in_order(page) for page in await walk(api, first, "next")]
    assert [i for p in pages for i in p] == whole
    assert [len(p) for p in pages[:-1]] == [count] * (len(pages) - 1)


async def test_count_defaults_to_20(fresh: AsyncClient) -> None:
    await load(fresh, [patient(f"p-{n:02d}", "Many") for n in range(21)])
    bundle = await get(fresh, "Patient")
    assert (bundle["total"], len(in_order(bundle))) == (21, 20)
    assert link(bundle, "self") == f"{BASE}/Patient?_count=20"
    rest = await follow(fresh, bundle, "next")
    assert in_order(rest) == ["p-20"]


async def test_count_is_capped_at_the_largest_page() -> None:
    async with api_client(make_settings(max_page_size=5)) as api:
        await load(api)
        bundle = await get(api, "Observation", "_count=50")
    assert (bundle["total"], len(in_order(bundle))) == (12, 5)
    assert link(bundle, "self") == f"{BASE}/Observation?_count=5"


async def test_count_zero_returns_only_the_total(population: Population) -> None:
    bundle = await get(population.api, "Patient", "gender=female&_count=0")
    url = f"{BASE}/Patient?gender=female&_count=0"
    assert without_identity(bundle) == {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 2,
        "link": [{"relation": "self", "url": url}, {"relation": "first", "url": url}],
    }


@pytest.mark.parametrize(
    ("query", "total"),
    [
        pytest.param("_total=accurate", 12, id="accurate"),
        pytest.param("_total=estimate", 12, id="estimate"),
        pytest.param("_total=none", None, id="none"),
    ],
)
async def test_total_is_given_unless_none_is_asked_for(
    population: Population, query: str, total: int | None
) -> None:
    bundle = await get(population.api, "Observation", f"{query}&_count=5")
    assert (bundle.get("total"), len(in_order(bundle))) == (total, 5)
    assert link(bundle, "next") is not None


async def test_pages_neither_repeat_nor_skip_when_records_are_added_between_fetches(
    fresh: AsyncClient,
) -> None:
    """Keyset paging: a new record shows up only if it sorts after the page already served."""
    await load(fresh, [patient(i, "Keyset") for i in ("p-b", "p-d", "p-f", "p-h")])
    first = await get(fresh, "Patient", "family=keyset&_count=2")
    await load(fresh, [patient("p-a", "Keyset"), patient("p-e", "Keyset")])
    second = await follow(fresh, first, "next")
    await load(fresh, [patient("p-c", "Keyset"), patient("p-z", "Keyset")])
    third = await follow(fresh, second, "next")
    assert [in_order(first), in_order(second), in_order(third)] == [
        ["p-b", "p-d"],
        ["p-e", "p-f"],
        ["p-h", "p-z"],
    ]
    assert link(third, "next") is None


async def test_sorted_pages_stay_stable_when_records_are_added_and_removed(
    fresh: AsyncClient,
) -> None:
    births = {"b-1": "1990", "b-2": "1980", "b-3": "1980", "b-4": "1970", "b-5": "1960"}
    await load(fresh, [patient(i, "Sorted", birth_date=d) for i, d in births.items()])
    first = await get(fresh, "Patient", "family=sorted&_sort=-birthdate&_count=2")
    await load(
        fresh,
        [
            patient("b-0", "Sorted", birth_date="2000"),  # before the cursor: never served
            patient("b-6", "Sorted", birth_date="1980"),  # a tie after the cursor's id
            patient("b-7", "Sorted", birth_date="1950"),  # after everything
        ],
    )
    assert (await fresh.delete("/Patient/b-4")).status_code == 204
    pages = [in_order(page) for page in await walk(fresh, first, "next")]
    assert pages == [["b-1", "b-2"], ["b-3", "b-6"], ["b-5", "b-7"]]


# --- Sorting --------------------------------------------------------------------------------

SORT_CASES = [
    pytest.param("Patient", "_sort=birthdate", ["pat-ng", "pat-muller", "pat-rivera",
                 "pat-smith"], id="birthdate-missing-first"),
    pytest.param("Patient", "_sort=-birthdate", ["pat-smith", "pat-rivera", "pat-muller",
                 "pat-ng"], id="birthdate-descending-by-start"),
    pytest.param("Patient", "_sort=name", ["pat-muller", "pat-ng", "pat-rivera", "pat-smith"],
                 id="name-without-accents"),
    pytest.param("Patient", "_sort=-name", ["pat-smith", "pat-rivera", "pat-ng", "pat-muller"],
                 id="name-descending"),
    pytest.param("Patient", "_sort=gender,-birthdate", ["pat-ng", "pat-smith", "pat-rivera",
                 "pat-muller"], id="two-keys"),
    pytest.param("Patient", "_sort=-_id", ["pat-smith", "pat-rivera", "pat-ng", "pat-muller"],
                 id="id-descending"),
    pytest.param("Observation", "_sort=date",
                 ["obs-note", "obs-hr-1", "obs-bp-1", "obs-weight-1", "obs-hr-2", "obs-smoking",
                  "obs-weight-2", "obs-glu-a", "obs-bp-2", "obs-glu-b", "obs-glu-c", "obs-group"],
                 id="date-by-start-of-instant-period-or-partial-date"),
    pytest.param("Observation", "_sort=-date",
                 ["obs-group", "obs-glu-c", "obs-glu-b", "obs-bp-2", "obs-glu-a", "obs-weight-2",
                  "obs-smoking", "obs-hr-2", "obs-weight-1", "obs-bp-1", "obs-hr-1", "obs-note"],
                 id="date-descending"),
    pytest.param("Observation", "_sort=code,-date",
                 ["obs-glu-c", "obs-glu-b", "obs-glu-a", "obs-group", "obs-weight-2",
                  "obs-weight-1", "obs-smoking", "obs-bp-2", "obs-bp-1", "obs-hr-2", "obs-hr-1",
                  "obs-note"], id="code-then-date-descending"),
    pytest.param("Observation", "_sort=value-quantity",
                 ["obs-bp-1", "obs-bp-2", "obs-note", "obs-smoking", "obs-glu-b", "obs-glu-a",
                  "obs-glu-c", "obs-group", "obs-hr-1", "obs-hr-2", "obs-weight-1",
                  "obs-weight-2"], id="value-quantity"),
    pytest.param("Observation", "_sort=-value-quantity&value-quantity:missing=false",
                 ["obs-weight-2", "obs-weight-1", "obs-hr-2", "obs-hr-1", "obs-group",
                  "obs-glu-c", "obs-glu-a", "obs-glu-b"], id="value-quantity-descending"),
    pytest.param("Observation", "_sort=status", [*(i for i in ALL_OBSERVATIONS
                 if i != "obs-glu-c"), "obs-glu-c"], id="ties-break-on-id"),
    pytest.param("Observation", "_sort=-status,date",
                 ["obs-glu-c", "obs-note", "obs-hr-1", "obs-bp-1", "obs-weight-1", "obs-hr-2",
                  "obs-smoking", "obs-weight-2", "obs-glu-a", "obs-bp-2", "obs-glu-b",
                  "obs-group"], id="descending-then-ascending"),
    pytest.param("Encounter", "_sort=date", ["enc-4", "enc-1", "enc-3", "enc-2"],
                 id="encounter-period-start"),
    pytest.param("Encounter", "_sort=-date", ["enc-2", "enc-3", "enc-1", "enc-4"],
                 id="encounter-period-start-descending"),
    pytest.param("MedicationStatement", "_sort=-effective", ["med-2", "med-1", "med-3"],
                 id="medication-effective"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected"), SORT_CASES)
async def test_sort_orders_by_each_key_in_turn_and_then_by_id(
    population: Population, path: str, query: str, expected: list[str]
) -> None:
    assert in_order(await get(population.api, path, query)) == expected


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_sort_by_last_updated_follows_the_write_times(
    population: Population, descending: bool
) -> None:
    by_id = sorted(
        (r for k, r in population.stored.items() if k.startswith("Observation/")),
        key=lambda r: r["id"],
    )
    # A stable sort keeps ties (same millisecond) in ascending id order either way.
    by_time = sorted(by_id, key=lambda r: r["meta"]["lastUpdated"], reverse=descending)
    query = "_sort=-_lastUpdated" if descending else "_sort=_lastUpdated"
    found = in_order(await get(population.api, "Observation", query))
    assert found == [r["id"] for r in by_time]


async def test_last_updated_search_compares_write_instants(fresh: AsyncClient) -> None:
    one = (await put(fresh, patient("lu-1", "Stamp")))["meta"]["lastUpdated"]
    await asyncio.sleep(0.01)
    two = (await put(fresh, patient("lu-2", "Stamp")))["meta"]["lastUpdated"]
    expected = {
        f"_lastUpdated={one}": ["lu-1"],
        f"_lastUpdated=gt{one}": ["lu-2"],
        f"_lastUpdated=le{one}": ["lu-1"],
        f"_lastUpdated=ge{one}": ["lu-1", "lu-2"],
        f"_lastUpdated=sa{one}": ["lu-2"],
        f"_lastUpdated=eb{two}": ["lu-1"],
    }
    found = {query: matches(await get(fresh, "Patient", query)) for query in expected}
    assert found == expected
    await asyncio.sleep(0.01)
    await put(fresh, {**patient("lu-1", "Stamp"), "active": True})
    assert matches(await get(fresh, "Patient", f"_lastUpdated=gt{two}")) == ["lu-1"]


async def test_only_current_versions_are_found(fresh: AsyncClient) -> None:
    await load(fresh, [patient("v-1", "Before"), patient("v-2", "Before")])
    await put(fresh, patient("v-1", "After"))
    assert (await fresh.delete("/Patient/v-2")).status_code == 204
    found = [matches(await get(fresh, "Patient", f"family={f}")) for f in ("before", "after")]
    assert found == [[], ["v-1"]]


# --- _summary and _elements -----------------------------------------------------------------


async def test_summary_count_returns_the_total_and_no_entries(population: Population) -> None:
    bundle = await get(population.api, "Patient", "gender=female&_summary=count")
    url = f"{BASE}/Patient?gender=female&_summary=count&_count=20"
    assert without_identity(bundle) == {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 2,
        "link": [{"relation": "self", "url": url}, {"relation": "first", "url": url}],
    }


PATIENT_SUMMARY = ("identifier", "active", "name", "telecom", "gender", "birthDate",
                   "deceasedBoolean", "address")  # fmt: skip
SUMMARY_CASES = [
    pytest.param("Patient", "_id=pat-muller&_summary=true", "Patient/pat-muller", PATIENT_SUMMARY,
                 id="true-keeps-summary-elements"),
    pytest.param("Patient", "_id=pat-muller&_summary=text", "Patient/pat-muller", ("text",),
                 id="text-keeps-the-narrative"),
    pytest.param("Observation", "_id=obs-hr-1&_summary=text", "Observation/obs-hr-1",
                 ("status", "code"), id="text-keeps-mandatory-elements"),
    pytest.param("Observation", "_id=obs-bp-1&_summary=true", "Observation/obs-bp-1",
                 ("status", "code", "subject", "encounter", "effectivePeriod", "component"),
                 id="true-drops-category-and-interpretation"),
    pytest.param("Patient", "_id=pat-muller&_elements=name,gender", "Patient/pat-muller",
                 ("name", "gender"), id="elements"),
    pytest.param("Observation", "_id=obs-hr-1&_elements=valueQuantity", "Observation/obs-hr-1",
                 ("status", "code", "valueQuantity"), id="elements-with-mandatory-elements"),
    pytest.param("Observation", "_id=obs-hr-1&_elements=value", "Observation/obs-hr-1",
                 ("status", "code", "valueQuantity"), id="elements-choice-by-its-name"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "key", "kept"), SUMMARY_CASES)
async def test_summary_and_elements_return_tagged_subsets(
    population: Population, path: str, query: str, key: str, kept: tuple[str, ...]
) -> None:
    bundle = await get(population.api, path, query)
    (only,) = bundle["entry"]
    assert only == {
        "fullUrl": f"{BASE}/{key}",
        "resource": subsetted(population.stored[key], *kept),
        "search": {"mode": "match"},
    }


async def test_summary_data_drops_only_the_narrative(population: Population) -> None:
    bundle = await get(population.api, "Patient", "_id=pat-muller&_summary=data")
    stored = population.stored["Patient/pat-muller"]
    keys = tuple(k for k in stored if k not in ("text", "meta"))
    assert bundle["entry"][0]["resource"] == subsetted(stored, *keys)


# --- _include and _revinclude ---------------------------------------------------------------

INCLUDE_CASES = [
    pytest.param("Observation", "code=29463-7&_include=Observation:patient", WEIGHTS,
                 ["Patient/pat-muller"], id="patient-once-for-several-matches"),
    pytest.param("Observation", "_id=obs-bp-1&_include=Observation:encounter", ["obs-bp-1"],
                 ["Encounter/enc-1"], id="observation-encounter"),
    pytest.param("Observation", "_id=obs-bp-2&_include=Observation:patient", ["obs-bp-2"],
                 ["Patient/pat-rivera"], id="absolute-reference-on-our-base"),
    pytest.param("Observation", "_id=obs-bp-2&_include=Observation:patient:Group", ["obs-bp-2"],
                 [], id="target-type-filters"),
    pytest.param("Observation", "_id=obs-bp-1&_include=*", ["obs-bp-1"],
                 ["Encounter/enc-1", "Patient/pat-muller"], id="wildcard"),
    pytest.param("Observation", "_id=obs-bp-1&_include=*:*", ["obs-bp-1"],
                 ["Encounter/enc-1", "Patient/pat-muller"], id="wildcard-source-and-parameter"),
    pytest.param("Observation", "_id=obs-bp-1&_include=*:*:Encounter", ["obs-bp-1"],
                 ["Encounter/enc-1"], id="wildcard-with-target"),
    pytest.param("Observation", "_id=obs-bp-1&_include=Observation:*", ["obs-bp-1"],
                 ["Encounter/enc-1", "Patient/pat-muller"], id="wildcard-parameter"),
    pytest.param("Observation", "_id=obs-bp-1&_include=*:encounter", ["obs-bp-1"],
                 ["Encounter/enc-1"], id="wildcard-source"),
    pytest.param("Encounter", "_id=enc-3&_include=Encounter:patient", ["enc-3"],
                 ["Patient/pat-smith"], id="encounter-patient"),
    pytest.param("MedicationStatement", "status=active&_include=MedicationStatement:patient",
                 ["med-1", "med-3"], ["Patient/pat-muller", "Patient/pat-smith"],
                 id="medication-statement-patient"),
    pytest.param("MedicationStatement", "_id=med-3&_include=MedicationStatement:medication",
                 ["med-3"], [], id="targets-not-stored-are-skipped"),
    pytest.param("Patient", "_id=pat-muller&_revinclude=Observation:patient", ["pat-muller"],
                 [f"Observation/{i}" for i in MULLER_OBSERVATIONS], id="revinclude-observations"),
    pytest.param("Patient", "_id=pat-rivera&_revinclude=Observation:patient", ["pat-rivera"],
                 [f"Observation/{i}" for i in RIVERA_OBSERVATIONS],
                 id="revinclude-absolute-references"),
    pytest.param("Patient", "_id=pat-muller&_revinclude=Encounter:patient", ["pat-muller"],
                 ["Encounter/enc-1", "Encounter/enc-4"], id="revinclude-encounters"),
    pytest.param("Patient", "_id=pat-muller&_revinclude=Encounter:*", ["pat-muller"],
                 ["Encounter/enc-1", "Encounter/enc-4"], id="revinclude-wildcard-parameter"),
    pytest.param("Patient", "gender=female&_revinclude=MedicationStatement:patient",
                 ["pat-rivera", "pat-smith"],
                 ["MedicationStatement/med-2", "MedicationStatement/med-3"],
                 id="revinclude-medication-statements"),
    pytest.param("Encounter", "_id=enc-1&_include=Encounter:patient"
                 "&_revinclude=Observation:encounter", ["enc-1"],
                 ["Observation/obs-bp-1", "Observation/obs-weight-1", "Patient/pat-muller"],
                 id="include-and-revinclude"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "query", "expected", "expected_included"), INCLUDE_CASES)
async def test_include_and_revinclude_add_entries_in_include_mode(
    population: Population,
    path: str,
    query: str,
    expected: list[str],
    expected_included: list[str],
) -> None:
    bundle = await get(population.api, path, query)
    assert (bundle["total"], matches(bundle), included(bundle)) == (
        len(expected),
        expected,
        expected_included,
    )


async def test_included_entries_follow_the_matches_with_full_urls(population: Population) -> None:
    stored = population.stored
    bundle = await get(
        population.api,
        "Observation",
        "_id=obs-weight-1&_include=Observation:patient&_include=Observation:encounter",
    )
    assert bundle["entry"][0] == entry(stored, "Observation/obs-weight-1")
    assert sorted(bundle["entry"][1:], key=lambda e: e["fullUrl"]) == [
        entry(stored, "Encounter/enc-1", "include"),
        entry(stored, "Patient/pat-muller", "include"),
    ]
    assert link(bundle, "self") == (
        f"{BASE}/Observation?_id=obs-weight-1&_include=Observation:patient"
        "&_include=Observation:encounter&_count=20"
    )


async def test_a_wildcard_include_keeps_its_target_in_links(population: Population) -> None:
    """`*:*:Encounter` once came back as `*:Encounter`: a parameter named Encounter, none."""
    bundle = await get(population.api, "Observation", "_id=obs-bp-1&_include=*:*:Encounter")
    self_link = link(bundle, "self")
    assert self_link == f"{BASE}/Observation?_id=obs-bp-1&_include=*:*:Encounter&_count=20"
    again = await population.api.get(self_link)
    assert included(again.json()) == included(bundle) == ["Encounter/enc-1"]


async def test_a_revinclude_from_any_type_is_refused_naming_it(population: Population) -> None:
    response = await population.api.get("/Patient", params={"_revinclude": "*:*"})
    assert response.status_code == 400
    assert response.json() == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "invalid",
                "diagnostics": "_revinclude `*:*`: name the type that refers, as in "
                "`Observation:*`; R4 defines `*` for the search parameter only "
                "(search.html#include).",
                "expression": ["_revinclude"],
            }
        ],
    }


async def test_all_three_revincludes_on_a_patient(population: Population) -> None:
    bundle = await get(
        population.api,
        "Patient",
        "_id=pat-muller&_revinclude=Observation:patient&_revinclude=Encounter:patient"
        "&_revinclude=MedicationStatement:patient",
    )
    assert included(bundle) == sorted(
        ["Encounter/enc-1", "Encounter/enc-4", "MedicationStatement/med-1"]
        + [f"Observation/{i}" for i in MULLER_OBSERVATIONS]
    )


async def test_include_iterate_follows_included_resources(population: Population) -> None:
    bundle = await get(
        population.api,
        "Observation",
        "_id=obs-bp-1&_include=Observation:encounter&_include:iterate=Encounter:patient",
    )
    assert (included(bundle), outcomes(bundle)) == (
        ["Encounter/enc-1", "Patient/pat-muller"],
        [],
    )
    assert link(bundle, "self") == (
        f"{BASE}/Observation?_id=obs-bp-1&_include=Observation:encounter"
        "&_include:iterate=Encounter:patient&_count=20"
    )
    assert included(await follow(population.api, bundle, "self")) == included(bundle)


async def test_revinclude_iterate_follows_included_resources(population: Population) -> None:
    bundle = await get(
        population.api,
        "Patient",
        "_id=pat-muller&_revinclude=Encounter:patient&_revinclude:iterate=Observation:encounter",
    )
    assert (included(bundle), outcomes(bundle)) == (
        ["Encounter/enc-1", "Encounter/enc-4", "Observation/obs-bp-1", "Observation/obs-weight-1"],
        [],
    )


# --- References to other servers ------------------------------------------------------------


async def _with_external_reference(api: AsyncClient) -> None:
    await load(
        api,
        [
            patient("pat-x", "Local"),
            {"resourceType": "Observation", "id": "obs-local", "status": "final", "code": NOTE,
             "subject": {"reference": "Patient/pat-x"}},
            {"resourceType": "Observation", "id": "obs-external", "status": "final", "code": NOTE,
             "subject": {"reference": "http://other.example/fhir/Patient/pat-x"}},
        ],
    )  # fmt: skip


async def test_reference_to_another_server_matches_only_its_own_url(fresh: AsyncClient) -> None:
    await _with_external_reference(fresh)
    url = "http://other.example/fhir/Patient/pat-x"
    assert matches(await get(fresh, "Observation", f"patient={url}")) == ["obs-external"]


async def test_local_reference_search_does_not_match_another_servers_patient(
    fresh: AsyncClient,
) -> None:
    await _with_external_reference(fresh)
    found = [
        matches(await get(fresh, "Observation", q)) for q in ("patient=pat-x", "patient.name=local")
    ]
    assert found == [["obs-local"], ["obs-local"]]


async def test_includes_and_reverse_chains_keep_another_servers_patient_apart(
    fresh: AsyncClient,
) -> None:
    await _with_external_reference(fresh)
    forward = await get(fresh, "Observation", "_id=obs-external&_include=Observation:patient")
    reverse = await get(fresh, "Patient", "_id=pat-x&_revinclude=Observation:patient")
    reverse_chain = await get(fresh, "Patient", "_has:Observation:patient:_id=obs-external")
    assert [included(forward), included(reverse), matches(reverse_chain)] == [
        [],
        ["Observation/obs-local"],
        [],
    ]


# --- POST _search ---------------------------------------------------------------------------

POST_QUERIES = [
    pytest.param("Patient", "gender=female&_sort=-birthdate", id="sorted"),
    pytest.param("Patient", "name=müller&_revinclude=Encounter:patient", id="accent-and-include"),
    pytest.param("Observation", "code=29463-7,8867-4&_count=2", id="or-and-paging"),
    pytest.param("Observation", r"value-string=feels well\, sleeps", id="escaped-comma"),
    pytest.param("Patient", "_has:Observation:patient:code=85354-9&gender=male", id="has"),
]


@pytest.mark.parametrize(("path", "query"), POST_QUERIES)
async def test_post_search_with_a_form_body_equals_get(
    population: Population, path: str, query: str
) -> None:
    by_get = await get(population.api, path, query)
    response = await population.api.post(
        f"/{path}/_search", content=str(items(query)), headers={"Content-Type": FORM}
    )
    assert response.status_code == 200, response.text
    assert without_identity(response.json()) == without_identity(by_get)


async def test_post_search_joins_url_and_body_parameters(population: Population) -> None:
    response = await population.api.post(
        "/Patient/_search?gender=female",
        content="birthdate=1980-06",
        headers={"Content-Type": f"{FORM}; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert matches(response.json()) == ["pat-smith"]


async def test_post_search_with_a_json_body_is_415(population: Population) -> None:
    response = await population.api.post("/Patient/_search", json={"gender": "female"})
    assert response.status_code == 415, response.text
    assert without_diagnostics(response.json()) == [{"severity": "error", "code": "not-supported"}]


async def test_self_link_repeats_the_search(population: Population) -> None:
    queries = [
        r"value-string=feels well\, sleeps",
        "patient.name=müller&_sort=-date",
        "date=2021-07-01T12:00:00+02:00",
        "code-value-quantity=29463-7$ge86",
        "encounter.date=2013-01-14&category:not=social-history",
    ]
    for query in queries:
        bundle = await get(population.api, "Observation", query)
        again = await follow(population.api, bundle, "self")
        assert (query, in_order(again)) == (query, in_order(bundle))


# --- Observation/$lastn ---------------------------------------------------------------------

LASTN_CASES = [
    pytest.param("max=1&patient=pat-muller", ["obs-bp-1", "obs-hr-2", "obs-weight-2"],
                 id="latest-per-code"),
    pytest.param("patient=pat-muller", ["obs-bp-1", "obs-hr-2", "obs-weight-2"],
                 id="max-defaults-to-one"),
    pytest.param("max=2&patient=pat-muller&code=8867-4", ["obs-hr-1", "obs-hr-2"],
                 id="two-of-one-code"),
    pytest.param("max=3&patient=Patient/pat-muller&code=29463-7,85354-9",
                 ["obs-bp-1", "obs-weight-1", "obs-weight-2"], id="fewer-than-max"),
    pytest.param("max=1&category=laboratory", ["obs-glu-b", "obs-glu-c"],
                 id="per-patient-and-code"),
    pytest.param("max=1&category=vital-signs&patient=pat-rivera", ["obs-bp-2"],
                 id="category-and-patient"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), LASTN_CASES)
async def test_lastn_returns_the_latest_n_per_code_per_patient(
    population: Population, query: str, expected: list[str]
) -> None:
    bundle = await get(population.api, "Observation/$lastn", query)
    assert (bundle["type"], bundle["total"], matches(bundle)) == (
        "searchset",
        len(expected),
        expected,
    )


async def test_lastn_bundle_entries_are_matches_with_full_urls(population: Population) -> None:
    bundle = await get(population.api, "Observation/$lastn", "max=1&category=social-history")
    assert without_identity(bundle) == {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 1,
        "link": [
            {
                "relation": "self",
                "url": f"{BASE}/Observation/$lastn?max=1&category=social-history&_count=20",
            }
        ],
        "entry": [entry(population.stored, "Observation/obs-smoking")],
    }
