"""Search of every Synthea type against an independent evaluator of the R4 search rules.

Six patient Bundles (the biggest among them) and the companion batches they point at go in
through the API; every stored resource is read back. Queries are generated from the stored
data (seeded, so a failure reproduces) and the gateway's ids, all pages followed, must equal
what this module computes without the gateway's search code: each parameter's R4 FHIRPath
expression is evaluated by fhirpathpy (tests/search/fhirpath_engine.py), and search.html's
matching rules are applied to the values here, in a few lines per parameter type.

Where R4 leaves room, the evaluator follows the gateway's documented choice:
- `_sort` on a multi-valued date orders by the earliest start (gateway.search.generic_index),
  in both directions; a resource without the value sorts first ascending and last descending
  (MongoDB's null order, gateway.search.paging). Order is checked only between resources whose
  sort keys differ.
- `:text` on a token matches like a string search (starts-with, case and accent blind) on
  CodeableConcept.text, Coding.display and Identifier.type.text.
- a dateTime without a time zone is taken as UTC (Synthea always writes one).
- ranges have millisecond resolution, MongoDB's: a time with more fraction digits covers the
  millisecond it falls in (gateway.search.date), so `eq…23.778000` finds `…23.778`.
- string search ignores white space at the ends and takes a run of it as one space
  (gateway.search.normalise; search.html#string allows such "minor differences").
- quantities in UCUM convert (search.html#quantity: the server SHOULD): values and query bounds
  are compared in the canonical unit `gateway.ucum.canonical` gives, the one piece of the
  gateway used here, since unit arithmetic is not what this test checks.
- parameters the gateway documents as not offered (`phonetic`, gateway.search.generic) are not
  generated; that they are refused under `Prefer: handling=strict` is checked.
- `ap` (approximately) is the server's call (search.html#prefix) and is not generated.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import pytest_asyncio
from httpx import AsyncClient

import fhir_profiles
from gateway.search.generic import NOT_OFFERED
from gateway.ucum import UCUM, canonical
from tests.conftest import api_client, make_settings
from tests.search.fhirpath_engine import engine

pytestmark = [pytest.mark.corpus, pytest.mark.asyncio(loop_scope="module")]

PATIENTS = (
    "Lanell756_Goodwin327",  # the biggest Bundle; conditional references into the companion
    "Glenn0_Parker433",  # DocumentReference, Provenance
    "Dennis_Durgan",  # AllergyIntolerance, Goal, ImagingStudy
    "Jordan_Cruickshank",
    "Claudie_Walsh",
    "Rudolf_Weber",
)
BASE = "http://test/fhir"
SEED = 20261205
Resource = dict[str, Any]
Value = tuple[Any, str | None]  # an element and its FHIR type, as fhirpathpy gives them


# --- the stored data -------------------------------------------------------------------------


@dataclass
class Store:
    api: AsyncClient
    by_type: dict[str, dict[str, Resource]] = field(default_factory=dict)
    _values: dict[tuple[str, str, str], list[Value]] = field(default_factory=dict)

    def resources(self, resource_type: str) -> list[Resource]:
        return list(self.by_type.get(resource_type, {}).values())

    def values(self, resource: Resource, code: str) -> list[Value]:
        """The elements the R4 expression of `code` selects in `resource`."""
        key = (resource["resourceType"], resource["id"], code)
        if key not in self._values:
            expression = definition(resource["resourceType"], code)["expression"]
            self._values[key] = [
                value
                for branch in branches(expression, resource["resourceType"])
                for value in engine(branch)(resource)
            ]
        return self._values[key]

    def get(self, reference: str) -> Resource | None:
        resource_type, _, resource_id = reference.removeprefix(f"{BASE}/").partition("/")
        return self.by_type.get(resource_type, {}).get(resource_id)


def branches(expression: str, resource_type: str) -> list[str]:
    """The union's branches about `resource_type` (all when none names it): fhirpathpy names
    the type of what a lone path selects, but not of what a union (`A.code | B.code`) does."""
    parts, depth, start = [], 0, 0
    for at, char in enumerate(expression):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(expression[start:at].strip())
            start = at + 1
    parts.append(expression[start:].strip())
    own = [p for p in parts if p.lstrip("(").startswith(f"{resource_type}.")]
    return own or parts


def definition(resource_type: str, code: str) -> dict[str, Any]:
    known = fhir_profiles.search_parameters()
    for base in (resource_type, "DomainResource", "Resource"):
        if (base, code) in known:
            return known[(base, code)]
    raise KeyError((resource_type, code))


async def _post(api: AsyncClient, path: Path) -> None:
    response = await api.post("", json=json.loads(path.read_text("utf-8")))
    assert response.status_code == 200, response.text[:500]


async def _all_of(api: AsyncClient, resource_type: str) -> list[Resource]:
    return [resource for resource, _ in await pages(api, f"/{resource_type}?_count=1000")]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def store(fhir_samples: Path) -> AsyncIterator[Store]:
    async with api_client(make_settings(), raise_app_exceptions=False) as api:
        for path in sorted((fhir_samples / "synthea" / "companion").glob("*.json")):
            await _post(api, path)
        for prefix in PATIENTS:
            (path,) = (fhir_samples / "synthea").glob(f"{prefix}_*.json")
            await _post(api, path)
        result = Store(api)
        for resource_type in (*TYPES, "Location", "PractitionerRole"):
            result.by_type[resource_type] = {r["id"]: r for r in await _all_of(api, resource_type)}
        yield result


async def pages(api: AsyncClient, url: str) -> list[tuple[Resource, str]]:
    """Every entry of every page, following `next`: (resource, search mode)."""
    found: list[tuple[Resource, str]] = []
    next_url: str | None = url
    while next_url is not None:
        response = await api.get(next_url)
        assert response.status_code == 200, (url, response.text[:500])
        page = response.json()
        found += [(e["resource"], e["search"]["mode"]) for e in page.get("entry", [])]
        link = next((k["url"] for k in page.get("link", []) if k["relation"] == "next"), None)
        next_url = link.removeprefix(BASE) if link else None
    return found


# --- the R4 matching rules (search.html), written from the spec -----------------------------


def normalised(text: str) -> str:
    """search.html#string: case and accent blind (combining marks dropped after NFKD); runs of
    white space count as one space, and none at the ends (gateway.search.normalise's choice)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).split()
    ).casefold()


def string_parts(value: Any, kind: str | None) -> list[str]:
    """search.html#string: a HumanName or Address matches on any of its parts."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, dict):
        return []
    names = {
        "HumanName": ("family", "given", "prefix", "suffix", "text"),
        "Address": ("line", "city", "district", "state", "postalCode", "country", "text"),
    }.get(kind or "", ())
    parts: list[str] = []
    for name in names:
        part = value.get(name)
        parts += part if isinstance(part, list) else [part] if isinstance(part, str) else []
    return parts


def tokens(value: Any, kind: str | None) -> list[tuple[str | None, str | None, list[str]]]:
    """search.html#token's table: (system, code, texts for :text) of one element."""
    if isinstance(value, bool):
        return [(None, "true" if value else "false", [])]
    if isinstance(value, str):
        return [(None, value, [])]
    if not isinstance(value, dict):
        return []
    if kind == "CodeableConcept":
        text = [value["text"]] if "text" in value else []
        return [
            (c.get("system"), c.get("code"), text + ([c["display"]] if "display" in c else []))
            for c in value.get("coding", [])
        ] or [(None, None, text)]
    if kind == "Coding":
        return [(value.get("system"), value.get("code"), [value.get("display", "")])]
    if kind == "Identifier":
        text = value.get("type", {}).get("text")
        return [(value.get("system"), value.get("value"), [text] if text else [])]
    if kind == "ContactPoint":
        return [(None, value.get("value"), [])]
    return []


def token_matches(query: str, value: Any, kind: str | None) -> bool:
    system, bar, code = query.rpartition("|")
    for own_system, own_code, _ in tokens(value, kind):
        if bar and system == "" and own_system is not None:
            continue  # |code: no system
        if bar and system and own_system != system:
            continue
        if code == "" or own_code == code:
            return True
    return False


EPOCH_END = datetime.max.replace(tzinfo=UTC)
EPOCH_START = datetime.min.replace(tzinfo=UTC)


def date_range(text: str) -> tuple[datetime, datetime]:
    """A date, dateTime or instant as the half-open UTC range its precision covers."""
    if len(text) == 4:
        start = datetime(int(text), 1, 1, tzinfo=UTC)
        return start, start.replace(year=start.year + 1)
    if len(text) == 7:
        start = datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
        month = start.month % 12 + 1
        return start, start.replace(year=start.year + (month == 1), month=month)
    if len(text) == 10:
        start = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return start, start + timedelta(days=1)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    fraction = re.match(r"\d*", text.partition(".")[2])[0]  # type: ignore[index]
    if fraction:
        step = timedelta(microseconds=10 ** (6 - min(len(fraction), 6)))
    else:
        step = timedelta(seconds=1) if len(text.split("T")[1]) >= 8 else timedelta(minutes=1)
    start, end = moment.astimezone(UTC), moment.astimezone(UTC) + step
    return start - timedelta(microseconds=start.microsecond % 1000), end + timedelta(
        microseconds=-end.microsecond % 1000
    )


def value_ranges(value: Any, kind: str | None) -> list[tuple[datetime, datetime]]:
    if isinstance(value, str):
        return [date_range(value)]
    if isinstance(value, dict) and kind == "Period":
        start = date_range(value["start"])[0] if "start" in value else EPOCH_START
        end = date_range(value["end"])[1] if "end" in value else EPOCH_END
        return [(start, end)]
    if isinstance(value, dict) and kind == "Timing":
        return [date_range(event) for event in value.get("event", [])]
    return []


def date_matches(query: str, value: Any, kind: str | None) -> bool:
    """search.html#prefix over ranges: the query's precision makes its range too."""
    prefix, text = (query[:2], query[2:]) if query[:2].isalpha() else ("eq", query)
    low, high = date_range(text)
    for start, end in value_ranges(value, kind):
        inside = low <= start and end <= high
        if {
            "eq": inside,
            "ne": not inside,
            "gt": end > high,
            "lt": start < low,
            "ge": end > high or inside,
            "le": start < low or inside,
            "sa": start >= high,
            "eb": end <= low,
        }[prefix]:
            return True
    return False


def reference_matches(query: str, value: Any, _: str | None) -> bool:
    """search.html#reference: `Type/id`, a bare id, or the absolute URL on this server."""
    if not isinstance(value, dict) or not isinstance(value.get("reference"), str):
        return False
    own = value["reference"].removeprefix(f"{BASE}/")
    query = query.removeprefix(f"{BASE}/")
    return own == query if "/" in query else own.split("/")[-1] == query


def quantity_matches(query: str, value: Any, _: str | None) -> bool:
    """search.html#quantity: number with the precision of its digits, then system and code;
    a UCUM code compares in the canonical unit (module docstring)."""
    number, _, rest = query.partition("|")
    system, _, code = rest.partition("|")
    prefix, number = (number[:2], number[2:]) if number[:2].isalpha() else ("eq", number)
    if not isinstance(value, dict) or "value" not in value:
        return False
    target, wanted = Decimal(str(value["value"])), Decimal(number)
    half = Decimal(1).scaleb(wanted.as_tuple().exponent) / 2  # type: ignore[arg-type]
    low, high = wanted - half, wanted + half
    own = canonical(target, value.get("code", "")) if value.get("system") == UCUM else None
    asked = canonical(wanted, code) if system == UCUM and code else None
    if own is not None and asked is not None and own[1] == asked[1]:
        target = own[0]
        low, wanted, high = (canonical(n, code)[0] for n in (low, wanted, high))  # type: ignore[index]
    elif (system and value.get("system") != system) or (
        code and code not in (value.get("code"), None if system else value.get("unit"))
    ):
        return False
    return {
        "eq": low <= target < high,
        "ne": not low <= target < high,
        "gt": target > wanted,
        "lt": target < wanted,
        "ge": target >= wanted,
        "le": target <= wanted,
    }[prefix]


def string_matches(query: str, value: Any, kind: str | None, modifier: str = "") -> bool:
    for part in string_parts(value, kind):
        if modifier == "exact" and part == query:
            return True
        if modifier == "contains" and normalised(query) in normalised(part):
            return True
        if modifier == "" and normalised(part).startswith(normalised(query)):
            return True
    return False


def text_matches(query: str, value: Any, kind: str | None) -> bool:
    texts = [text for _, _, found in tokens(value, kind) for text in found]
    return any(normalised(text).startswith(normalised(query)) for text in texts)


MATCHERS: dict[str, Callable[[str, Any, str | None], bool]] = {
    "token": token_matches,
    "date": date_matches,
    "reference": reference_matches,
    "quantity": quantity_matches,
    "string": string_matches,
    "uri": lambda query, value, _: value == query,
}


def alternatives(query: str) -> list[str]:
    """OR by comma; `\\,` is a comma inside a value (search.html#escaping)."""
    return [part.replace("\\,", ",").replace("\\$", "$") for part in re.split(r"(?<!\\),", query)]


def esc(text: str) -> str:
    """A value's own commas and dollars escaped, as a client must (search.html#escaping)."""
    return text.replace(",", "\\,").replace("$", "\\$")


class Evaluator:
    """Which stored resources a query selects, by the rules above."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def matches(self, resource: Resource, name: str, query: str) -> bool:
        """One `name=query` item (OR by comma) on one resource."""
        code, _, modifier = name.partition(":")
        if "." in code or "." in modifier:
            return self._chain(resource, name, query)
        parameter = definition(resource["resourceType"], code)
        values = self.store.values(resource, code)
        if modifier == "missing":
            return (not values) == (query == "true")
        if modifier == "not":
            return not any(token_matches(q, v, k) for q in alternatives(query) for v, k in values)
        if modifier == "text":
            return any(text_matches(q, v, k) for q in alternatives(query) for v, k in values)
        if parameter["type"] == "string":
            return any(
                string_matches(q, v, k, modifier) for q in alternatives(query) for v, k in values
            )
        if parameter["type"] == "reference" and modifier:
            query = ",".join(f"{modifier}/{q}" for q in alternatives(query))
        match = MATCHERS[parameter["type"]]
        return any(match(q, v, k) for q in alternatives(query) for v, k in values)

    def _chain(self, resource: Resource, name: str, query: str) -> bool:
        head, _, rest = name.partition(".")
        code, _, target_type = head.partition(":")
        for value, _ in self.store.values(resource, code):
            reference = value.get("reference", "") if isinstance(value, dict) else ""
            target = self.store.get(reference)
            if target is None or (target_type and target["resourceType"] != target_type):
                continue
            if self.matches(target, rest, query):
                return True
        return False

    def has(self, resource: Resource, has: str, query: str) -> bool:
        """`_has:Type:reference:parameter=query` (search.html#has)."""
        _, other_type, code, parameter = has.split(":", 3)
        own = f"{resource['resourceType']}/{resource['id']}"
        for other in self.store.resources(other_type):
            refs = [v.get("reference") for v, _ in self.store.values(other, code)]
            if own in refs and self.matches(other, parameter, query):
                return True
        return False

    def select(self, resource_type: str, items: list[tuple[str, str]]) -> set[str]:
        """AND over the items (repetition), each an OR over its comma-separated values."""
        return {
            resource["id"]
            for resource in self.store.resources(resource_type)
            if all(
                self.has(resource, name, value)
                if name.startswith("_has:")
                else self.matches(resource, name, value)
                for name, value in items
            )
        }

    def references(self, resource: Resource, code: str) -> set[str]:
        found = set()
        for value, _ in self.store.values(resource, code):
            target = self.store.get(value.get("reference", "")) if isinstance(value, dict) else None
            if target is not None:
                found.add(f"{target['resourceType']}/{target['id']}")
        return found


# --- the queries -----------------------------------------------------------------------------

TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "AllergyIntolerance",
    "MedicationRequest",
    "Immunization",
    "Procedure",
    "DiagnosticReport",
    "CarePlan",
    "Goal",
    "DocumentReference",
    "ImagingStudy",
    "Provenance",
    "Claim",
    "ExplanationOfBenefit",
    "Practitioner",
    "Organization",
)
SKIPPED_TYPES = {"composite", "special", "number"}


def query_string(items: Iterable[tuple[str, str]]) -> str:
    return "&".join(f"{name}={quote(value, safe=',:|/')}" for name, value in items)


def _codes(resource_type: str) -> list[str]:
    own = [
        code
        for (base, code), spec in fhir_profiles.search_parameters().items()
        if base == resource_type
        and spec["type"] not in SKIPPED_TYPES
        and "expression" in spec
        and code not in NOT_OFFERED
    ]
    return sorted(own)


def generated(store: Store, rng: random.Random, resource_type: str) -> list[list[tuple[str, str]]]:
    """Queries on `resource_type` whose values come from its stored resources."""
    resources = store.resources(resource_type)
    queries: list[list[tuple[str, str]]] = []
    for code in _codes(resource_type):
        kind = definition(resource_type, code)["type"]
        with_values = [r for r in resources if store.values(r, code)]
        queries.append([(f"{code}:missing", rng.choice(["true", "false"]))])
        if not with_values:
            continue
        singles: dict[str, list[str]] = {}
        for _ in range(3):
            resource = rng.choice(with_values)
            value, element = rng.choice(store.values(resource, code))
            for items in _for_value(rng, code, kind, value, element):
                queries.append(items)
                if len(items) == 1 and ":" not in items[0][0]:
                    singles.setdefault(items[0][0], []).append(items[0][1])
        for name, values in singles.items():  # OR by comma
            if len(set(values)) > 1:
                queries.append([(name, ",".join(sorted(set(values))[:3]))])
    return queries


def _for_value(
    rng: random.Random, code: str, kind: str, value: Any, element: str | None
) -> list[list[tuple[str, str]]]:
    if kind == "token":
        found = tokens(value, element)
        if not found:
            return []
        system, token, texts = rng.choice(found)
        if token is None:
            return []
        queries = [[(code, esc(token))], [(f"{code}:not", esc(token))]]
        if system:
            queries.append([(code, f"{esc(system)}|{esc(token)}")])
            queries.append([(code, f"{esc(system)}|")])
        if texts and texts[0]:
            queries.append([(f"{code}:text", esc(texts[0][: rng.randint(3, 12)]))])
        return queries
    if kind == "string":
        parts = [p for p in string_parts(value, element) if p]
        if not parts:
            return []
        part = rng.choice(parts)
        return [
            [(code, esc(part[: rng.randint(1, len(part))].upper()))],
            [(f"{code}:exact", esc(part))],
            [(f"{code}:contains", esc(part[len(part) // 3 : len(part) // 3 + 3]))],
        ]
    if kind == "date":
        ranges = value_ranges(value, element)
        if not ranges or ranges[0][0] == EPOCH_START:
            return []
        start = ranges[0][0]
        text = rng.choice(
            [
                start.strftime("%Y"),
                start.strftime("%Y-%m"),
                start.strftime("%Y-%m-%d"),
                start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                start.astimezone(timezone(timedelta(hours=-5))).isoformat(),
            ]
        )
        prefixes = rng.sample(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"], 3)
        return [[(code, f"{prefix}{text}")] for prefix in prefixes] + [
            [(code, f"ge{start.strftime('%Y')}"), (code, f"lt{start.year + 5}")]
        ]
    if kind == "reference":
        reference = value.get("reference") if isinstance(value, dict) else None
        if not isinstance(reference, str) or "/" not in reference:
            return []
        target_type, _, target_id = reference.partition("/")
        return [
            [(code, reference)],
            [(f"{code}:{target_type}", target_id)],
            [(code, f"{BASE}/{reference}")],
        ]
    if kind == "quantity" and isinstance(value, dict) and "value" in value:
        number = value["value"]
        system, unit = value.get("system", ""), value.get("code", value.get("unit", ""))
        return [
            [(code, f"{number}|{system}|{unit}")],
            [(code, f"gt{number}|{system}|{unit}")],
            [(code, f"le{number}")],
        ]
    if kind == "uri" and isinstance(value, str):
        return [[(code, esc(value))]]
    return []


async def _ids(api: AsyncClient, resource_type: str, items: list[tuple[str, str]]) -> list[str]:
    found = await pages(api, f"/{resource_type}?{query_string(items)}&_count=200")
    return [resource["id"] for resource, mode in found if mode == "match"]


async def _check(
    store: Store, resource_type: str, items: list[tuple[str, str]], wrong: list[Any]
) -> None:
    expected = Evaluator(store).select(resource_type, items)
    got = await _ids(store.api, resource_type, items)
    if sorted(got) != sorted(expected):
        wrong.append(
            (
                f"{resource_type}?{query_string(items)}",
                f"gateway-only {sorted(set(got) - expected)[:3]}",
                f"evaluator-only {sorted(expected - set(got))[:3]}",
                len(got),
                len(expected),
            )
        )


@pytest.mark.parametrize("resource_type", TYPES)
async def test_parameters_of_every_type_agree(store: Store, resource_type: str) -> None:
    rng = random.Random(f"{SEED}-{resource_type}")
    assert store.resources(resource_type), resource_type
    wrong: list[Any] = []
    queries = generated(store, rng, resource_type)
    for items in queries:
        await _check(store, resource_type, items, wrong)
    assert not wrong, "\n".join([f"{len(wrong)} of {len(queries)}"] + [str(w) for w in wrong])


# --- chains, reverse chains, includes --------------------------------------------------------


def _picked(
    store: Store, rng: random.Random, resource_type: str, code: str, count: int
) -> list[Any]:
    """Up to `count` values of `code` found on stored `resource_type`s (seeded)."""
    found = [v for r in store.resources(resource_type) for v, _ in store.values(r, code)]
    return rng.sample(found, min(count, len(found)))


def _token(value: Any) -> str:
    coding = value["coding"][0] if "coding" in value else value
    return f"{coding['system']}|{coding['code']}"


def chain_queries(store: Store, rng: random.Random) -> list[tuple[str, list[tuple[str, str]]]]:
    families = [n["family"] for n in _picked(store, rng, "Patient", "name", 4) if "family" in n]
    births = [b[:4] for b in _picked(store, rng, "Patient", "birthdate", 3)]
    encounter_types = [_token(t) for t in _picked(store, rng, "Encounter", "type", 3)]
    organisations = [n[:6] for n in _picked(store, rng, "Organization", "name", 2)]
    codes = [_token(c) for c in _picked(store, rng, "Condition", "code", 3)]
    observed = [_token(c) for c in _picked(store, rng, "Observation", "code", 2)]
    queries: list[tuple[str, list[tuple[str, str]]]] = []
    for family in families:
        queries += [
            ("Condition", [("patient.name", family)]),
            ("Claim", [("patient.family", family)]),
            ("Immunization", [("patient.name", family.lower()), ("status", "completed")]),
        ]
    for year in births:
        queries += [
            ("DiagnosticReport", [("subject:Patient.birthdate", year)]),
            ("Encounter", [("subject:Patient.birthdate", f"ge{year}")]),
        ]
    for encounter_type in encounter_types:
        queries += [
            ("Observation", [("encounter.type", encounter_type)]),
            ("Procedure", [("encounter.type", encounter_type)]),
            ("MedicationRequest", [("encounter.type", encounter_type)]),
        ]
    for name in organisations:
        queries.append(("Encounter", [("service-provider.name", name)]))
        queries.append(("Claim", [("encounter.service-provider.name", name)]))
    for code in codes:
        queries.append(("Patient", [("_has:Condition:patient:code", code)]))
        queries.append(("Encounter", [("_has:Condition:encounter:code", code)]))
    for code in observed:
        queries.append(("Patient", [("_has:Observation:patient:code", code), ("gender", "male")]))
    return queries


async def test_chains_and_reverse_chains_agree(store: Store) -> None:
    rng = random.Random(f"{SEED}-chains")
    queries = chain_queries(store, rng)
    wrong: list[Any] = []
    for resource_type, items in queries:
        await _check(store, resource_type, items, wrong)
    assert len(queries) > 30
    assert not wrong, "\n".join([f"{len(wrong)} of {len(queries)}"] + [str(w) for w in wrong])


INCLUDES = (
    ("Condition", "code", "_include", "Condition:patient", "patient"),
    ("Condition", "code", "_include", "Condition:encounter", "encounter"),
    ("MedicationRequest", "status", "_include", "MedicationRequest:requester", "requester"),
    ("Encounter", "type", "_include", "Encounter:service-provider", "service-provider"),
    ("Encounter", "type", "_include", "Encounter:participant:Practitioner", "participant"),
    ("Claim", "status", "_include", "Claim:provider", "provider"),
    ("DiagnosticReport", "code", "_include", "DiagnosticReport:result", "result"),
    ("Encounter", "type", "_revinclude", "Condition:encounter", "encounter"),
    ("Patient", "gender", "_revinclude", "Provenance:target", "target"),
    ("Encounter", "class", "_revinclude", "Observation:encounter", "encounter"),
    ("Organization", "name", "_revinclude", "Encounter:service-provider", "service-provider"),
)


@pytest.mark.parametrize(("resource_type", "code", "kind", "include", "via"), INCLUDES)
async def test_included_ids_agree(
    store: Store, resource_type: str, code: str, kind: str, include: str, via: str
) -> None:
    """search.html#include: `_include` adds what the matches reference through the parameter
    (a `:Type` third part narrows it), `_revinclude` what references a match through it."""
    rng = random.Random(f"{SEED}-{include}")
    with_values = [r for r in store.resources(resource_type) if store.values(r, code)]
    value, element = rng.choice(store.values(rng.choice(with_values), code))
    if definition(resource_type, code)["type"] == "token":
        system, token, _ = tokens(value, element)[0]
        query = f"{system}|{token}" if system else str(token)
    else:
        query = string_parts(value, element)[0][:4]
    evaluator = Evaluator(store)
    matched = evaluator.select(resource_type, [(code, query)])
    assert matched
    keys = {f"{resource_type}/{i}" for i in matched}
    expected: set[str] = set()
    if kind == "_include":
        narrow = include.split(":")[2] if include.count(":") == 2 else None
        for resource_id in matched:
            resource = store.by_type[resource_type][resource_id]
            expected |= {
                key
                for key in evaluator.references(resource, via)
                if narrow is None or key.startswith(f"{narrow}/")
            }
    else:
        other_type = include.split(":")[0]
        for other in store.resources(other_type):
            if evaluator.references(other, via) & keys:
                expected.add(f"{other_type}/{other['id']}")
    url = f"/{resource_type}?{query_string([(code, query), (kind, include)])}&_count=100"
    found = await pages(store.api, url)
    got = [f"{r['resourceType']}/{r['id']}" for r, mode in found if mode == "include"]
    assert {f"{r['resourceType']}/{r['id']}" for r, m in found if m == "match"} == keys
    assert set(got) == expected - keys, (url, len(got), len(expected))


# --- sorting and paging ----------------------------------------------------------------------

SORTS = (
    ("Condition", "onset-date"),
    ("Condition", "-recorded-date"),
    ("Encounter", "date"),
    ("Encounter", "-date"),
    ("Immunization", "-date"),
    ("Procedure", "date"),
    ("Claim", "created"),
    ("DiagnosticReport", "-issued"),
    ("Observation", "date"),
    ("CarePlan", "-date"),
    ("Organization", "name"),
    ("Organization", "-name"),
)


def sort_key(store: Store, resource: Resource, code: str) -> Any:
    """The R4 order as the gateway documents it (module docstring): a date's earliest start,
    a string's first value as string search compares it; None when missing."""
    values = store.values(resource, code)
    if not values:
        return None
    if definition(resource["resourceType"], code)["type"] == "date":
        return min(start for v, k in values for start, _ in value_ranges(v, k))
    return normalised(string_parts(*values[0])[0])


@pytest.mark.parametrize(("resource_type", "sort"), SORTS)
async def test_sorted_pages_agree(store: Store, resource_type: str, sort: str) -> None:
    """Small pages (`_count=7`) following `next`: each match once, in the order of the key."""
    evaluator = Evaluator(store)
    items = [("address-state", "MA")]
    if resource_type != "Organization":  # the patient with most of them
        patient = max(
            store.resources("Patient"),
            key=lambda p: len(evaluator.select(resource_type, [("patient", f"Patient/{p['id']}")])),
        )
        items = [("patient", f"Patient/{patient['id']}")]
    expected = evaluator.select(resource_type, items)
    url = f"/{resource_type}?{query_string([*items, ('_sort', sort)])}&_count=7"
    found = [r for r, mode in await pages(store.api, url) if mode == "match"]
    ids = [r["id"] for r in found]
    assert len(ids) == len(set(ids)), url  # each resource once across pages
    assert set(ids) == expected, url
    descending, code = sort.startswith("-"), sort.removeprefix("-")
    keys = [sort_key(store, r, code) for r in found]
    present = [k for k in keys if k is not None]
    missing_at = [i for i, k in enumerate(keys) if k is None]
    if missing_at:  # missing first ascending, last descending (MongoDB's null order)
        expected_at = (
            list(range(len(keys) - len(missing_at), len(keys)))
            if descending
            else list(range(len(missing_at)))
        )
        assert missing_at == expected_at, url
    assert present == sorted(present, reverse=descending), url
    assert len(set(present)) > 1, url  # the order was tested on keys that differ


# --- $everything -----------------------------------------------------------------------------


def in_compartment(store: Store, resource: Resource, patient_id: str) -> bool:
    """R4 CompartmentDefinition Patient: a member through any of its parameters' references."""
    if resource["resourceType"] == "Patient" and resource["id"] == patient_id:
        return True
    codes = fhir_profiles.compartments()["Patient"].get(resource["resourceType"], ())
    own = f"Patient/{patient_id}"
    return any(
        isinstance(value, dict) and value.get("reference", "").removeprefix(f"{BASE}/") == own
        for code in codes
        for value, _ in store.values(resource, code)
    )


async def test_everything_is_the_patient_compartment(store: Store) -> None:
    for patient in store.resources("Patient"):
        expected = {
            f"{r['resourceType']}/{r['id']}"
            for resource_type in store.by_type
            for r in store.resources(resource_type)
            if in_compartment(store, r, patient["id"])
        }
        found = await pages(store.api, f"/Patient/{patient['id']}/$everything?_count=97")
        keys = [f"{r['resourceType']}/{r['id']}" for r, _ in found]
        assert len(keys) == len(set(keys))
        assert set(keys) == expected, (
            sorted(set(keys) - expected)[:5],
            sorted(expected - set(keys))[:5],
        )


# --- refusals --------------------------------------------------------------------------------

REFUSED = (
    ("/Condition?onset-date=yesterday", 400, "onset-date"),
    ("/Condition?onset-date=xx2020", 400, "onset-date"),
    ("/Observation?value-quantity=abc", 400, "value-quantity"),
    ("/Claim?created=2020-13-01", 400, "created"),
    ("/Immunization?date=ap", 400, "date"),
    ("/Condition?code:bogus=x", 400, "code"),
    ("/Condition?patient.nosuch=x", 400, "nosuch"),
    ("/Condition?patient:Nosuch.name=x", 400, "patient"),
    ("/Condition?_has:Nosuch:patient:code=x", 400, "Nosuch"),
    ("/Patient?_has:Condition:patient:nosuch=x", 400, "nosuch"),
    ("/Condition?_sort=nosuch", 400, "nosuch"),
    ("/Condition?_include=Condition:nosuch", 400, "nosuch"),
    ("/Encounter?_revinclude=Nosuch:encounter", 400, "Nosuch"),
    ("/Goal?lifecycle-status:missing=maybe", 400, "lifecycle-status"),
    ("/Procedure?date=ge", 400, "date"),
    ("/Practitioner?phonetic=smith", 400, "phonetic"),
)


@pytest.mark.parametrize(("url", "status", "named"), REFUSED)
async def test_refusals_name_the_parameter(store: Store, url: str, status: int, named: str) -> None:
    response = await store.api.get(url, headers={"Prefer": "handling=strict"})
    assert response.status_code == status, (url, response.text[:300])
    assert named in response.text, (url, response.text[:300])


async def test_an_unknown_type_is_refused(store: Store) -> None:
    response = await store.api.get("/Nosuch?name=x")
    assert response.status_code in (400, 404), response.text[:300]
    assert response.json()["resourceType"] == "OperationOutcome"
