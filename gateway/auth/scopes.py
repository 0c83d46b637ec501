"""SMART clinical scopes, v1 and v2: parse a token's `scope` string, and write one back.

https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-fhir-resources

Grammar (v2, with v1's suffixes kept for compatibility):
`( patient | user | system ) / ( <R4 type> | * ) . ( read | write | * | <subset of cruds> )`
followed by an optional v2 query restriction `?param=value(&param=value)*`.

Choices, each on the side of granting less:
- v1 suffixes map to v2 letters as the spec's table does: `read` = `rs`, `write` = `cud`,
  `*` = `cruds`.
- v2 letters must be a non-empty subset of `cruds` written in that order ("valid suffixes are a
  subset of the in-order string .cruds"); the spec lets a server ignore scope requests "with
  undefined or out of order interactions", so `.sr` or `.rr` is malformed here.
- A scope this module cannot read as a resource scope grants nothing. RFC 6749 §3.3 leaves scope
  strings to the server; SMART's non-resource scopes (`openid`, `fhirUser`, `profile`, `launch`,
  `launch/patient`, `offline_access`, `online_access`, ...) carry no access to FHIR data, and a
  malformed resource scope (unknown type, bad suffix, bad query) cannot be read safely, so both
  are skipped rather than failing the whole token: the rest of the token still works, and the
  skipped scope can never widen access.
- Resource types are R4's (`fhir_profiles.resource_types()`), case-sensitive as FHIR is.
- A query restriction is kept as written (decoded pairs, in order); a repeated parameter is
  kept repeated (both must hold, as in FHIR search). Whether a resource meets it is decided in
  gateway.auth.restrictions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args
from urllib.parse import parse_qsl, quote

import fhir_profiles

Interaction = Literal["c", "r", "u", "d", "s"]  # create, read, update, delete, search
Context = Literal["patient", "user", "system"]

INTERACTIONS: tuple[Interaction, ...] = get_args(Interaction)  # the `cruds` order
ALL_INTERACTIONS: frozenset[Interaction] = frozenset(INTERACTIONS)
_V1: dict[str, frozenset[Interaction]] = {
    "read": frozenset({"r", "s"}),
    "write": frozenset({"c", "u", "d"}),
    "*": ALL_INTERACTIONS,
}
_SCOPE = re.compile(
    r"(?P<context>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]*)\.(?P<suffix>[a-z*]+)"
    r"(?:\?(?P<query>.*))?",
    re.DOTALL,
)
# The audit trail (issue 13: "searchable ... with a `system/AuditEvent.rs` scope only"). Who read
# which patient's record is itself sensitive, and about everyone: a patient's or a user's app
# has no business reading it, and `*` is written to mean "the clinical record", so an app
# granted `user/*.rs` or `system/*.rs` for its data must not get the audit log with it. Only a
# `system/` scope that names the type (`system/AuditEvent.rs`, `.read`, `.*`) covers it: a
# backend service an operator registered for auditing on purpose.
AUDIT_TYPES = frozenset({"AuditEvent"})
_V2_LETTERS = re.compile(r"c?r?u?d?s?")  # the in-order subsets of `cruds`
_PARAMETER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-.:]*")  # a search parameter, modifiers allowed


@dataclass(frozen=True, slots=True)
class Scope:
    """One resource scope: who it speaks for, which type, which interactions, limited how."""

    context: Context
    resource_type: str  # an R4 type or "*"
    interactions: frozenset[Interaction]
    query: tuple[tuple[str, str], ...] = ()  # v2 restriction: patient/Observation.rs?category=...

    def covers(self, interaction: Interaction, resource_type: str) -> bool:
        """This scope's letters include `interaction` and its type is `resource_type` or `*`;
        for an audit type (`AUDIT_TYPES`), only a `system/` scope naming it covers it."""
        if interaction not in self.interactions:
            return False
        if resource_type in AUDIT_TYPES:
            return self.context == "system" and self.resource_type == resource_type
        return self.resource_type in ("*", resource_type)


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """The resource scopes of a space-separated `scope` string, in order, duplicates dropped;
    non-resource and malformed scopes are skipped (see the module docstring)."""
    found: dict[Scope, None] = {}
    for token in text.split():
        scope = parse_scope(token)
        if scope is not None:
            found.setdefault(scope, None)
    return tuple(found)


def parse_scope(token: str) -> Scope | None:
    """One scope token as a resource scope, or None when it is not one we can read."""
    match = _SCOPE.fullmatch(token)
    if match is None:
        return None
    resource_type = match["type"]
    if resource_type != "*" and resource_type not in fhir_profiles.resource_types():
        return None
    interactions = _interactions(match["suffix"])
    if interactions is None:
        return None
    query: tuple[tuple[str, str], ...] = ()
    if match["query"] is not None:
        parsed = _query(match["query"])
        if parsed is None:
            return None
        query = parsed
    return Scope(match["context"], resource_type, interactions, query)  # type: ignore[arg-type]


def format_scope(scope: Scope) -> str:
    """The v2 text of a scope: `parse_scope(format_scope(s)) == s` for any parsed scope."""
    letters = "".join(letter for letter in INTERACTIONS if letter in scope.interactions)
    text = f"{scope.context}/{scope.resource_type}.{letters}"
    if scope.query:
        text += "?" + "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in scope.query)
    return text


def _interactions(suffix: str) -> frozenset[Interaction] | None:
    if suffix in _V1:
        return _V1[suffix]
    if not suffix or _V2_LETTERS.fullmatch(suffix) is None:
        return None  # empty, out of order, repeated or unknown letters
    return frozenset(letter for letter in INTERACTIONS if letter in suffix)


def _query(text: str) -> tuple[tuple[str, str], ...] | None:
    """`param=value&...` decoded, or None when any part is not a parameter with a value."""
    if not text:
        return None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        return None
    if any(_PARAMETER.fullmatch(k) is None or not v for k, v in pairs):
        return None
    return tuple(pairs)


def _quoted(text: str) -> str:
    # `|`, `:` and `/` stay readable (`code=http://loinc.org|1234-5`); `&`, `=`, `+`, `%`,
    # spaces and the rest are escaped, so the text splits back into the same pairs.
    return quote(text, safe="|:/,")
