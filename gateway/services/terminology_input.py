"""The input parameters of an operation, from the query and from a `Parameters` body.

https://hl7.org/fhir/R4/operations.html#executing: an operation takes its parameters in the URL
(GET, or POST with a form) or as a `Parameters` resource (POST); both may be combined. A query
value is a string; a body parameter's value is its one `value[x]`. Each accessor reads one
parameter as the type the OperationDefinition gives it and answers a 400 naming it when it is
given twice or as another type. Query names starting with `_` (`_format`, `_pretty`) are the
HTTP layer's; other names an operation does not read are ignored, as unknown search
parameters are by default (search.html#errors).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.errors import InvalidRequest
from gateway.jsonio import Json

QUERY = "query"  # the kind of a value given in the URL: a string
_STRINGS = frozenset({"String", "Uri", "Code", "Canonical", "Url", "Id", "Uuid", "Oid", "Markdown"})
_INTEGERS = frozenset({"Integer", "UnsignedInt", "PositiveInt"})
MAX_INTEGER = 2_147_483_647  # R4 integer: a signed 32-bit value (datatypes.html#integer)


@dataclass(frozen=True, slots=True)
class Value:
    kind: str  # QUERY, or the value[x] type of a body parameter (`Coding`, `Boolean`...)
    value: Any


class NotSupported(InvalidRequest):
    """An R4 parameter of the operation that this server does not implement."""

    issue_code = "not-supported"


class OperationInput:
    """An operation's parameters by name; `operation` (`$expand`) names it in messages."""

    def __init__(self, operation: str, values: dict[str, list[Value]]) -> None:
        self.operation = operation
        self.values = values

    @classmethod
    def of(
        cls, operation: str, query: Iterable[tuple[str, str]], body: Json | None = None
    ) -> OperationInput:
        values: dict[str, list[Value]] = {}
        for name, text in query:
            if not name.startswith("_"):
                values.setdefault(name, []).append(Value(QUERY, text))
        for name, value in _body_parameters(operation, body) if body is not None else ():
            values.setdefault(name, []).append(value)
        return cls(operation, values)

    def given(self, name: str) -> bool:
        return name in self.values

    def text(self, name: str) -> str | None:
        value = self._one(name)
        if value is None:
            return None
        if (value.kind == QUERY or value.kind in _STRINGS) and isinstance(value.value, str):
            return value.value
        raise self._wrong(name, "a string (valueString, valueUri, valueCode...)")

    def integer(self, name: str) -> int | None:
        value = self._one(name)
        if value is None:
            return None
        number = value.value
        if (
            value.kind == QUERY
            and isinstance(number, str)
            and number.isascii()
            and number.isdigit()
        ):
            number = int(number)
        elif value.kind not in _INTEGERS or type(number) is not int:  # not a bool
            number = -1
        if 0 <= number <= MAX_INTEGER:
            return number
        raise self._wrong(name, f"a non-negative integer (at most {MAX_INTEGER})")

    def boolean(self, name: str) -> bool | None:
        value = self._one(name)
        if value is None:
            return None
        if value.kind == QUERY and value.value in ("true", "false"):
            return bool(value.value == "true")
        if value.kind == "Boolean" and isinstance(value.value, bool):
            return value.value
        raise self._wrong(name, "`true` or `false`")

    def complex(self, name: str, kind: str) -> Json | None:
        """A Coding or CodeableConcept: only a Parameters body can carry one (operations.html:
        an operation with complex parameters is not invoked by GET)."""
        value = self._one(name)
        if value is None:
            return None
        if value.kind == kind and isinstance(value.value, dict):
            return value.value
        raise self._wrong(name, f"a {kind} (value{kind} in a POST Parameters body)")

    def refuse(self, *names: str) -> None:
        """400 for R4 parameters of the operation this server does not implement."""
        for name in names:
            if name in self.values:
                raise NotSupported(
                    f"{self.operation}: parameter `{name}` is not supported by this server.",
                    expression=name,
                )

    def _one(self, name: str) -> Value | None:
        found = self.values.get(name)
        if not found:
            return None
        if len(found) > 1:
            raise InvalidRequest(
                f"{self.operation}: parameter `{name}` is given {len(found)} times; it takes one.",
                expression=name,
            )
        return found[0]

    def _wrong(self, name: str, expected: str) -> InvalidRequest:
        return InvalidRequest(
            f"{self.operation}: parameter `{name}` must be {expected}.", expression=name
        )


def _body_parameters(operation: str, body: Json) -> list[tuple[str, Value]]:
    """(name, value) of each parameter of a Parameters body; a resource or parts count as
    values of kind `resource` / `part`, which no accessor takes."""
    parameters = body.get("parameter", [])
    if body.get("resourceType") != "Parameters" or not isinstance(parameters, list):
        raise InvalidRequest(
            f"{operation} by POST takes a Parameters resource.", expression="resourceType"
        )
    found = []
    for index, parameter in enumerate(parameters):
        where = f"Parameters.parameter[{index}]"
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise InvalidRequest(f"{where} needs a name.", expression=where)
        values = [(k[5:], v) for k, v in parameter.items() if k.startswith("value")]
        values += [(k, v) for k, v in parameter.items() if k in ("resource", "part")]
        if len(values) != 1:
            raise InvalidRequest(f"{where} (`{parameter['name']}`) needs exactly one value.",
                                 expression=where)  # fmt: skip
        kind, value = values[0]
        found.append((parameter["name"], Value(kind, value)))
    return found
