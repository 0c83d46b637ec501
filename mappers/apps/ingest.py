"""Native rows in: checked against the app's models, then mapped to FHIR resources.

Pure: the service (gateway.services.apps) fetches the stored rows that foreign keys name
(`wanted`), hands them back (`check_foreign_keys`, `map_records`) and writes the resources as
one transaction. Every problem is a 422 naming the app, the entity, the row index and the field
(`Patient[3].sex`), all of a request's problems at once (up to `MAX_ISSUES`), so a request with
any bad row stores nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from gateway.errors import Issue, UnprocessableResource
from gateway.jsonio import Json
from mappers.apps.base import AppAdapter, Entity, RowProblem
from mappers.apps.native import Identity, NativeId, NativeRow

__all__ = [
    "Mapped",
    "Records",
    "Row",
    "Target",
    "check_foreign_keys",
    "map_records",
    "read_records",
    "wanted",
]

MAX_ISSUES = 50
_UNION_MEMBER = re.compile(r"float|int|str|bool|none|[a-z-]+\[.*\]")
Key = tuple[str, str]  # (entity, native id)


@dataclass(frozen=True, slots=True)
class Row:
    entity: Entity
    index: int  # position in the request's list for this entity
    model: NativeRow
    identity: Identity


@dataclass(slots=True)
class Records:
    """A request's rows: the mapped entities' rows, and what was skipped or dropped."""

    adapter: AppAdapter
    rows: dict[str, list[Row]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # entity without a home -> rows
    dropped: dict[str, dict[str, int]] = field(default_factory=dict)  # entity -> secret -> rows

    def find(self, entity: str, native_id: NativeId) -> Row | None:
        wanted_id = str(native_id)
        return next(
            (r for r in self.rows.get(entity, ()) if r.identity.native_id == wanted_id), None
        )


@dataclass(frozen=True, slots=True)
class Target:
    """A row a foreign key names that the request does not carry: the store must have it."""

    entity: str
    native_id: str
    types: tuple[str, ...]  # its primary resource is one of these
    resource_id: str


@dataclass(slots=True)
class Mapped:
    resources: list[Json] = field(default_factory=list)  # one per Type/id, in mapping order
    made: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # entity -> id -> refs


class _Problems:
    def __init__(self, adapter: AppAdapter) -> None:
        self.adapter = adapter
        self.issues: list[Issue] = []

    def add(self, entity: str, index: int | None, field_name: str | None, message: str) -> None:
        where = entity if index is None else f"{entity}[{index}]"
        if field_name:
            where = f"{where}.{field_name}"
        row = "" if index is None else f" row {index}"
        named = f", field `{field_name}`" if field_name else ""
        self.issues.append(
            Issue(
                f"{self.adapter.name} `{entity}`{row}{named}: {message}",
                code="invalid" if field_name else "business-rule",
                expression=where,
            )
        )

    def raise_any(self) -> None:
        if self.issues:
            shown = self.issues[:MAX_ISSUES]
            more = len(self.issues) - len(shown)
            diagnostics = shown[0].diagnostics + (
                f" ({len(self.issues)} problems; nothing was stored.)"
                if len(self.issues) > 1
                else ""
            )
            if more:
                shown.append(Issue(f"{more} more problems are not listed.", severity="information",
                                   code="informational"))  # fmt: skip
            raise UnprocessableResource(diagnostics, issues=shown)


def read_records(adapter: AppAdapter, payload: Any) -> Records:
    """The request body as rows. Raises UnprocessableResource naming every bad row and field."""
    problems = _Problems(adapter)
    if not isinstance(payload, dict):
        problems.add("(body)", None, None, "expected a JSON object of entity name -> list of rows.")
        problems.raise_any()
    records = Records(adapter)
    for name, rows in payload.items():
        entity = adapter.entity(name)
        if entity is None:
            known = ", ".join(e.name for e in adapter.entities)
            problems.add(
                name, None, None, f"`{name}` is not an entity of {adapter.title} ({known})."
            )
            continue
        if not isinstance(rows, list):
            problems.add(name, None, None, "expected a list of rows.")
            continue
        _read_entity(records, entity, rows, problems)
    problems.raise_any()
    return records


def _read_entity(records: Records, entity: Entity, rows: list[Any], problems: _Problems) -> None:
    seen: dict[str, int] = {}
    for index, raw in enumerate(rows):
        if not isinstance(raw, dict):
            problems.add(entity.name, index, None, "a row is a JSON object.")
            continue
        for secret in entity.secrets:
            if _has(raw, secret):
                counts = records.dropped.setdefault(entity.name, {})
                counts[secret] = counts.get(secret, 0) + 1
        if entity.to_fhir is None or entity.model is None:
            records.skipped[entity.name] = records.skipped.get(entity.name, 0) + 1
            continue
        try:
            model = entity.model.model_validate(raw)
        except ValidationError as error:
            named: set[str] = set()
            for detail in error.errors(include_url=False):
                where = _location(detail["loc"])
                if where not in named:  # a union's members each fail: say it once
                    named.add(where)
                    problems.add(entity.name, index, where, detail["msg"] + ".")
            continue
        native_id = str(getattr(model, entity.id_field))
        if native_id in seen:
            problems.add(entity.name, index, entity.id_field,
                         f"`{native_id}` is also the id of row {seen[native_id]}.")  # fmt: skip
            continue
        seen[native_id] = index
        identity = Identity(records.adapter.name, entity.name, native_id)
        records.rows.setdefault(entity.name, []).append(Row(entity, index, model, identity))


def _has(raw: Json, path: str) -> bool:
    value: Any = raw
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return False
        value = value[step]
    return value is not None


def _location(loc: tuple[int | str, ...]) -> str:
    """`biomarkers[0].value` from pydantic's loc, without the union members it tried (`float`,
    `int`, `function-wrap[...]`), which are no field of the seed."""
    text = ""
    for step in loc:
        if isinstance(step, str) and _UNION_MEMBER.fullmatch(step):
            continue
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _foreign_keys(records: Records) -> list[tuple[Row, str, str, str]]:
    """(row, field, target entity, target id) for every foreign key with a value."""
    found = []
    for rows in records.rows.values():
        for row in rows:
            for field_name, target in row.entity.foreign_keys.items():
                value = getattr(row.model, field_name, None)
                if value is not None:
                    found.append((row, field_name, target, str(value)))
    return found


def wanted(records: Records) -> list[Target]:
    """The rows foreign keys name that this request lacks and that have a FHIR home."""
    targets: dict[Key, Target] = {}
    for _row, _field, entity_name, native_id in _foreign_keys(records):
        entity = records.adapter.entity(entity_name)
        if entity is None or entity.to_fhir is None or records.find(entity_name, native_id):
            continue
        identity = Identity(records.adapter.name, entity_name, native_id)
        targets[(entity_name, native_id)] = Target(
            entity_name, native_id, entity.primary, identity.resource_id()
        )
    return list(targets.values())


def check_foreign_keys(records: Records, stored: Mapping[Key, Json]) -> None:
    """Raises UnprocessableResource for a foreign key to a row neither sent nor stored."""
    problems = _Problems(records.adapter)
    for row, field_name, entity_name, native_id in _foreign_keys(records):
        entity = records.adapter.entity(entity_name)
        if entity is None or entity.to_fhir is None:
            continue  # a row without a FHIR home is never stored: nothing to check against
        if records.find(entity_name, native_id) is None and (entity_name, native_id) not in stored:
            problems.add(row.entity.name, row.index, field_name,
                         f"no `{entity_name}` row has id `{native_id}` (in this request or stored).")  # fmt: skip
    problems.raise_any()


class _Context:
    """MappingContext over one request: rows mapped on first need, in any order."""

    def __init__(self, records: Records, stored: Mapping[Key, Json], problems: _Problems) -> None:
        self.records = records
        self.stored = stored
        self.problems = problems
        self.mapped: dict[Key, list[Json]] = {}
        self.mapping: set[Key] = set()

    @property
    def app(self) -> str:
        return self.records.adapter.name

    def identity(self, entity: str, native_id: NativeId) -> Identity:
        return Identity.of(self.app, entity, native_id)

    def row(self, entity: str, native_id: NativeId) -> NativeRow | None:
        found = self.records.find(entity, native_id)
        return found.model if found else None

    def resource(self, entity: str, native_id: NativeId) -> Json | None:
        key = (entity, str(native_id))
        found = self.records.find(entity, native_id)
        if found is None:
            return self.stored.get(key)
        primary = self.identity(entity, native_id).resource_id()
        for resource in self.map_row(found) or ():
            if resource.get("id") == primary and resource["resourceType"] in found.entity.primary:
                return resource
        return None

    def map_row(self, row: Row) -> list[Json] | None:
        key = (row.entity.name, row.identity.native_id)
        if key in self.mapped:
            return self.mapped[key]
        if key in self.mapping or row.entity.to_fhir is None:
            return None  # a cycle of foreign keys: the inner row sees no resource yet
        self.mapping.add(key)
        try:
            made = row.entity.to_fhir(row.model, self)
        except RowProblem as problem:
            self.problems.add(row.entity.name, row.index, problem.field_name, problem.message)
            made = []
        finally:
            self.mapping.discard(key)
        self.mapped[key] = made
        return made


def map_records(records: Records, stored: Mapping[Key, Json]) -> Mapped:
    """Every row's resources, one per Type/id. Raises UnprocessableResource for a row the
    mapping refuses (RowProblem) or two rows that make one resource differently."""
    problems = _Problems(records.adapter)
    context = _Context(records, stored, problems)
    mapped = Mapped()
    by_key: dict[str, Json] = {}
    for entity in records.adapter.entities:
        for row in records.rows.get(entity.name, ()):
            refs = mapped.made.setdefault(entity.name, {}).setdefault(row.identity.native_id, [])
            for resource in context.map_row(row) or ():
                ref = f"{resource['resourceType']}/{resource['id']}"
                refs.append(ref)
                earlier = by_key.get(ref)
                if earlier is None:
                    by_key[ref] = resource
                    mapped.resources.append(resource)
                elif earlier != resource:
                    problems.add(entity.name, row.index, None,
                                 f"makes `{ref}` differently from an earlier row.")  # fmt: skip
    problems.raise_any()
    return mapped
