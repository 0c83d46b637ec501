"""Both validation engines say valid or invalid alike: the compiled walk and fhir.resources.

VALIDATION_ENGINE=compiled is the default only because this holds (issue 14, part 2): over the
whole third-party corpus (`FHIR_SAMPLES_DIR`; skipped where absent) and the project's own FHIR
files, and over Hypothesis mutations of them (wrong JSON types, unknown elements and `_name`
siblings, bad primitives, missing elements, arrays for singles and the reverse, two variants of
a choice, nested and contained resources of another or an unknown type). A disagreement either
engine may keep is listed in ACCEPTED with its reason: R4 against R4B element names only.
test_validator_tables.py compares what both know element by element, where samples do not reach.
"""

from __future__ import annotations

import copy
import gzip
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import InvalidResource
from gateway.jsonio import Json, loads
from mappers.element_tables import COMPLETE
from mappers.formats import DATE, DATE_TIME, ID, INSTANT, OID, TIME
from mappers.r4 import Engine, validate
from tests.conftest import samples_dir

ROOT = Path(__file__).resolve().parent.parent
R4_ONLY = (
    "R4 allows it, fhir.resources' R4B model dropped it (test_validator_tables.KNOWN): the "
    "compiled engine accepts valid R4"
)
R4B_ONLY = (
    "R4B added it, R4 has no such element: the compiled engine refuses it; the shape walk "
    "leaves names it does not know to the R4B model, which takes it"
)
PYTHON_NAMES = (
    "fhir.resources also takes its models' Python field names (pydantic's populate_by_name): "
    "`active__ext`, `resource_type` are no FHIR JSON (json.html) and would be stored as sent; "
    "the compiled engine refuses them as unknown elements"
)
EXTENSION = {"resourceType": "Patient"}
# The disagreements either engine keeps: name -> (resource, compiled's verdict, fhir.resources'
# verdict, why). Every R4-vs-R4B difference of element names in test_validator_tables.KNOWN is
# one of these kinds; no mutation below produces those names.
ACCEPTED: dict[str, tuple[Json, bool, bool, str]] = {
    "extension-value-meta": (
        {**EXTENSION, "extension": [{"url": "http://e", "valueMeta": {"versionId": "1"}}]},
        True, False, R4_ONLY,
    ),
    "extension-value-codeable-reference": (
        {**EXTENSION, "extension": [{"url": "http://e",
                                     "valueCodeableReference": {"concept": {"text": "x"}}}]},
        False, True, R4B_ONLY,
    ),
    "python-name-of-a-primitive-extension": (
        {"resourceType": "Patient", "active__ext": {"id": "a"}}, False, True, PYTHON_NAMES,
    ),
    "python-name-of-resource-type": (
        {"resourceType": "Patient", "resource_type": "Patient"}, False, True, PYTHON_NAMES,
    ),
    "plan-definition-subject-canonical": (
        {"resourceType": "PlanDefinition", "status": "active", "subjectCanonical": "http://x"},
        False, True, R4B_ONLY,
    ),
}  # fmt: skip


def verdict(resource: Json, engine: Engine) -> bool:
    """Valid (True) or not; any other exception fails the test (it would be a 500)."""
    try:
        validate(resource, engine=engine)
    except InvalidResource:
        return False
    return True


def _documents(path: Path) -> Iterator[Json]:
    if path.name.endswith(".ndjson.gz"):
        with gzip.open(path, "rb") as lines:
            yield from (loads(line) for line in lines if line.strip())
        return
    document = loads(path.read_bytes())
    if isinstance(document, dict) and isinstance(document.get("resourceType"), str):
        yield document


def _files() -> list[Path]:
    own = sorted(p for p in ROOT.rglob("*.json") if "fixtures" in p.parts or "golden" in p.parts)
    directory = samples_dir()
    if directory is None:
        return own
    corpus = sorted(p for p in directory.rglob("*") if p.name.endswith((".json", ".ndjson.gz")))
    return own + corpus


def _disagreements(resource: Json) -> list[str]:
    """Where the engines differ on `resource` or, when it is an invalid Bundle, on an entry."""
    compiled, oracle = verdict(resource, "compiled"), verdict(resource, "fhir.resources")
    found = [] if compiled == oracle else [f"{resource.get('resourceType')}/{resource.get('id')}"]
    if not (compiled and oracle) and resource.get("resourceType") == "Bundle":
        for entry in resource.get("entry") or []:
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                found += _disagreements(entry["resource"])
    return found


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_each_accepted_disagreement_is_what_its_entry_says(name: str) -> None:
    resource, compiled, oracle, _ = ACCEPTED[name]
    assert (verdict(resource, "compiled"), verdict(resource, "fhir.resources")) == (
        compiled,
        oracle,
    )


EVIDENCE_VARIABLE: Json = {"resourceType": "EvidenceVariable", "status": "active"}


@pytest.mark.parametrize(
    ("resource", "valid"),
    [
        pytest.param(
            {**EVIDENCE_VARIABLE, "actual": True,
             "characteristic": [{"definitionCodeableConcept": {"text": "x"}}]},
            True, id="r4b-evidence-variable",
        ),
        pytest.param(
            {**EVIDENCE_VARIABLE,
             "characteristic": [{"definitionDataRequirement": {"type": "Observation"}}]},
            False, id="r4-evidence-variable",
        ),
        pytest.param(
            {"resourceType": "Patient", "contained": [{**EVIDENCE_VARIABLE, "actual": "x"}]},
            False, id="contained-evidence-variable",
        ),
        pytest.param(
            {"resourceType": "Patient", "contained": [{"resourceType": "Evidence",
             "status": "active", "exposureBackground": {"reference": "Group/1"}}]},
            False, id="contained-r4-evidence",
        ),
    ],
)  # fmt: skip
def test_types_our_definitions_cannot_judge_are_left_to_fhir_resources(
    resource: Json, valid: bool
) -> None:
    """definitions.DEFERRED: the compiled engine runs the model wherever one of them is."""
    assert verdict(resource, "compiled") is verdict(resource, "fhir.resources") is valid


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_both_engines_give_each_file_the_same_verdict(path: Path) -> None:
    """A valid Bundle is valid entries and all; an invalid one is looked into entry by entry."""
    disagreements = [found for doc in _documents(path) for found in _disagreements(doc)]
    assert disagreements == []


@cache
def _seeds() -> tuple[Json, ...]:
    """Small resources to mutate: every own file, and from the corpus the first resource of
    each type in each file, entries of Bundles too (a mutation of a whole Synthea Bundle would
    cost fhir.resources ~0.1 s an example)."""
    seeds: list[Json] = []
    kept: set[tuple[str, str]] = set()
    for path in _files():
        for document in _documents(path):
            entries = [e.get("resource") for e in document.get("entry") or []]
            for resource in [document, *entries]:
                if not isinstance(resource, dict) or len(str(resource)) > 6000:
                    continue
                key = (path.name, str(resource.get("resourceType")))
                if key not in kept:
                    kept.add(key)
                    seeds.append(resource)
    return tuple(seeds)


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every element path of `value`, objects' keys and arrays' indexes."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            yield from _places(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index)
            yield from _places(child, (*path, index))


def _parent(resource: Json, path: tuple[Any, ...]) -> Any:
    node: Any = resource
    for step in path[:-1]:
        node = node[step]
    return node


BAD_TEXT = [
    "2019-02-29", "2019-13", "0000", "2019-05-06T10:20:30", "2016-12-31T23:59:60Z",
    "2019-05-06T24:00:00Z", "2019-04-31", "2000-02-29T00:00:00.123456789+14:00",
    "2019-05-06T10:20:30+14:01", "10:20", "23:59:60", "24:00:00", "a  b", " a", "a ", "a\u00a0b",
    "a_b", "x" * 65, "x" * 256, "urn:oid:3.1", "urn:oid:1.02", "urn:oid:1.2.3",
    "urn:uuid:c757873d-ec9a-1326-a141-556f43239520",
    "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", "c757873d-ec9a-4326-a141-556f43239520",
    "urn:uuid:c757873d-ec9a-4326-c141-556f43239520",
    "aGVsbG8", "aGVsbG8=", "a", "====", "aGVs\nbG8=", "http://x y", "", " ", "\t", "a\u0000",
    "true", "1", "1.5", "-1", "final", "Patient/1", "#p1",
]  # fmt: skip
BAD_NUMBERS = [0, -1, 1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63, 1.5, -0.0, 1e300]


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["a", "id", "url", "value"])
    return st.lists(inner, max_size=2) | st.dictionaries(keys, inner, max_size=2)


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(BAD_TEXT) | st.text(max_size=8),
    _nested,
    max_leaves=4,
)  # fmt: skip
NAMES = st.sampled_from(["nickname", "value", "valueString", "valueQuantity", "_id", "_url",
                         "fhir_comments", "resourceType", "extension", "id", "text", "status"])  # fmt: skip
Mutation = Callable[[Any, Any, st.DataObject], None]


def _replace(parent: Any, step: Any, data: st.DataObject) -> None:
    """A wrong JSON type, a bad primitive, an edge number, or anything."""
    parent[step] = data.draw(
        st.sampled_from(BAD_TEXT) | st.sampled_from(BAD_NUMBERS) | ANY_JSON, label="value"
    )


EDITS: list[Callable[[str], str]] = [
    lambda s: s + " ", lambda s: " " + s, lambda s: s.replace(" ", "  ") + "  x",
    lambda s: s.replace("-", "_"), lambda s: s[:-1], lambda s: s + "Z", lambda s: s + "=",
    lambda s: s.replace("Z", ""), lambda s: s.replace("T", " "), lambda s: s[:19],
    lambda s: s[:5] + "02-30" + s[10:], lambda s: s[:5] + "04-31" + s[10:],
    lambda s: s[:5] + "13" + s[7:], lambda s: s[:11] + "24" + s[13:],
    lambda s: s[:17] + "60" + s[19:], lambda s: s[:4] + "-02-29" + s[10:],
    lambda s: "0000" + s[4:], lambda s: s.upper(), lambda s: s + "\n", lambda s: s * 70,
    lambda s: s.replace("4", "1"), lambda s: s.replace("=", ""), lambda s: s + "a",
]  # fmt: skip


def _edit(parent: Any, step: Any, data: st.DataObject) -> None:
    """A primitive made slightly wrong: its own text edited (a day past the month's end, a
    doubled space, no time zone, a uuid of version 1, lost padding), or an edge number."""
    value = parent[step]
    if type(value) is str:
        parent[step] = data.draw(st.sampled_from(EDITS), label="edit")(value)
    elif type(value) is int:
        parent[step] = data.draw(st.sampled_from(BAD_NUMBERS), label="number")


def _remove(parent: Any, step: Any, data: st.DataObject) -> None:
    del parent[step]


def _wrap_or_unwrap(parent: Any, step: Any, data: st.DataObject) -> None:
    value = parent[step]
    parent[step] = value[0] if isinstance(value, list) and value else [value]


def _add(parent: Any, step: Any, data: st.DataObject) -> None:
    """An unknown element, a `_name` sibling, a second choice variant, or a known name anew."""
    node = parent[step] if isinstance(parent[step], dict) else parent
    if not isinstance(node, dict):
        return
    keys = sorted(node)
    name = data.draw(NAMES | st.sampled_from([f"_{k}" for k in keys] or ["_x"]), label="name")
    node[name] = data.draw(ANY_JSON | st.sampled_from([{"id": "a"}, {"extension": [{"url": "u", "valueString": "s"}]}]), label="value")  # fmt: skip


def _retype(parent: Any, step: Any, data: st.DataObject) -> None:
    """A nested or contained resource of another type, a datatype or an unknown one."""
    node = parent[step] if isinstance(parent[step], dict) else parent
    if isinstance(node, dict):
        node["resourceType"] = data.draw(
            st.sampled_from(["Patient", "Observation", "HumanName", "Patientt", "MedicinalProduct",
                             "Citation", "Bundle", "Resource", "Evidence"]), label="type")  # fmt: skip


MUTATIONS: list[Mutation] = [_replace, _edit, _remove, _wrap_or_unwrap, _add, _retype]


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_both_engines_give_a_mutated_resource_the_same_verdict(data: st.DataObject) -> None:
    resource = copy.deepcopy(data.draw(st.sampled_from(_seeds()), label="seed"))
    places = list(_places(resource))
    rounds = data.draw(st.integers(1, 2), label="mutations")
    for _ in range(rounds):
        if not places:
            break
        path = data.draw(st.sampled_from(places), label="path")
        mutate = data.draw(st.sampled_from(MUTATIONS), label="mutation")
        try:
            parent = _parent(resource, path)
            mutate(parent, path[-1], data)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced the place
    compiled, oracle = verdict(resource, "compiled"), verdict(resource, "fhir.resources")
    assert compiled == oracle, resource


def _formatted(value: Any, type_name: str, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of primitives with a format fhir.resources checks (dates, codes, ids, uuids,
    integers...), found with the compiled tables: only to aim the edits, never to judge."""
    if not isinstance(value, dict):
        return
    if type_name == "Resource":
        type_name = str(value.get("resourceType"))
    specs = COMPLETE.of(type_name).specs
    for key, child in value.items():
        spec = specs.get(key)
        if spec is None:
            continue
        items = enumerate(child) if isinstance(child, list) else [(None, child)]
        for index, item in items:
            at = (*path, key) if index is None else (*path, key, index)
            if spec.kind is None:
                yield from _formatted(item, spec.type_name, at)
            elif spec.check is not None:
                yield at


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_both_engines_give_an_edited_primitive_the_same_verdict(data: st.DataObject) -> None:
    """The mutation above picks any place; this one only primitives with a format to break."""
    seeds = [s for s in _seeds() if any(_formatted(s, str(s["resourceType"])))]
    resource = copy.deepcopy(data.draw(st.sampled_from(seeds), label="seed"))
    path = data.draw(st.sampled_from(list(_formatted(resource, resource["resourceType"]))))
    _edit(_parent(resource, path), path[-1], data)
    compiled, oracle = verdict(resource, "compiled"), verdict(resource, "fhir.resources")
    assert compiled == oracle, resource


PRIMITIVE_TYPES = [
    "Base64Binary", "Boolean", "Canonical", "Code", "Date", "DateTime", "Decimal", "Id", "Instant",
    "Integer", "Markdown", "Oid", "PositiveInt", "String", "Time", "UnsignedInt", "Uri", "Url",
    "Uuid",
]  # fmt: skip
NEAR_FORMATS = (
    st.text(alphabet="0123456789-:TZ+. abcfxzABCF=/_\t\n\u00a0\u2028urn", max_size=30)
    | st.one_of(*(st.from_regex(p, fullmatch=True) for p in (DATE, DATE_TIME, INSTANT, TIME, OID, ID)))
    | st.from_regex(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", fullmatch=True)
    | st.from_regex(r"[A-Za-z0-9+/]{0,12}={0,3}", fullmatch=True)
)  # fmt: skip


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    type_name=st.sampled_from(PRIMITIVE_TYPES),
    value=NEAR_FORMATS | st.integers(-(2**32), 2**32) | st.floats(allow_nan=False) | st.booleans(),
)
def test_both_engines_judge_every_primitive_type_alike(type_name: str, value: Any) -> None:
    """Extension.value[x] takes every R4 primitive: text near each format (and numbers, and
    booleans) under each type, so no rule of fhir.resources' goes unnoticed for want of a sample
    that holds the type (a uuid's variant was found this way)."""
    resource = {"resourceType": "Patient", "extension": [{"url": "http://e", f"value{type_name}": value}]}  # fmt: skip
    assert verdict(resource, "compiled") == verdict(resource, "fhir.resources"), value
