"""What snapshot generation does to one ElementDefinition: ids, choice names, and the merge
of a differential element onto the element it constrains.

https://hl7.org/fhir/R4/elementdefinition.html#id (element ids: the path, with `:sliceName`
after a sliced segment) and https://hl7.org/fhir/R4/profiling.html#snapshot (a profile may only
narrow what it inherits).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from gateway.errors import InvalidRequest

Json = dict[str, Any]

# R4 ElementDefinition.type codes whose children are written inline in the snapshot, not read
# from a datatype's StructureDefinition.
INLINE_TYPES = frozenset({"BackboneElement", "Element"})
EXTENSION_SLICING: Json = {
    "description": "Extensions are always sliced by (at least) url",
    "discriminator": [{"path": "url", "type": "value"}],
    "rules": "open",
}
MAX = re.compile(r"\*|[0-9]+")
# Merged specially below; everything else a differential element states replaces the base's.
_KEPT = frozenset({"id", "path", "base"})


class SnapshotError(InvalidRequest):
    """A differential this generator cannot turn into a snapshot, or one that is not valid."""


def element_id(element: Json) -> str:
    """The element's id, or the one its path and sliceName imply (ids are optional in R4)."""
    found = element.get("id")
    if isinstance(found, str) and found:
        return found
    path = element.get("path")
    if not isinstance(path, str) or not path:
        raise SnapshotError("A differential element has neither an `id` nor a `path`.")
    name = element.get("sliceName")
    return f"{path}:{name}" if isinstance(name, str) else path


def split_id(element_id_: str) -> tuple[str, str, str | None]:
    """`A.b:s.c:t` -> (`A.b:s`, `c`, `t`): the parent's id, the last name, its slice if any."""
    parent, _, last = element_id_.rpartition(".")
    name, _, slice_name = last.partition(":")
    if "/" in slice_name:
        raise SnapshotError(f"Reslicing (`{element_id_}`) is not supported.")
    return parent, name, slice_name or None


def choice_type(name: str, choice: Json) -> Json | None:
    """The type entry `valueQuantity` selects from the choice element `value[x]`, if any."""
    last = str(choice["path"]).rsplit(".", 1)[-1]
    if not last.endswith("[x]"):
        return None
    stem = last.removesuffix("[x]")
    for entry in choice.get("type", []):
        code = str(entry["code"])
        if name == stem + code[:1].upper() + code[1:]:
            result: Json = entry
            return result
    return None


def renamed(element: Json, *, old_id: str, new_id: str, old_path: str, new_path: str) -> Json:
    """A copy of `element` moved from under `old_id`/`old_path` to under `new_id`/`new_path`."""
    moved = copy.deepcopy(element)
    moved["id"] = new_id + str(element["id"])[len(old_id) :]
    moved["path"] = new_path + str(element["path"])[len(old_path) :]
    return moved


def _max_value(value: str) -> float:
    return float("inf") if value == "*" else float(value)


def check_shape(diff: Json, where: str) -> None:
    """Refuse a differential element whose properties this generator would misread."""
    if "min" in diff and (
        not isinstance(diff["min"], int) or isinstance(diff["min"], bool) or diff["min"] < 0
    ):
        raise SnapshotError(f"`{where}`: min must be a non-negative integer.")
    if "max" in diff and not (isinstance(diff["max"], str) and MAX.fullmatch(diff["max"])):
        raise SnapshotError(f"`{where}`: max must be a whole number or `*`.")
    types = diff.get("type", [])
    if not isinstance(types, list) or not all(
        isinstance(t, dict) and isinstance(t.get("code"), str) for t in types
    ):
        raise SnapshotError(f"`{where}`: each type needs a `code`.")
    name = diff.get("sliceName")
    if name is not None and not str(diff.get("id", f":{name}")).endswith(f":{name}"):
        raise SnapshotError(f"`{where}`: the id does not end with its sliceName `:{name}`.")


def _check_narrows(base: Json, diff: Json, where: str) -> None:
    if "min" in diff and "min" in base and diff["min"] < base["min"]:
        raise SnapshotError(f"`{where}`: min {diff['min']} is below the base's {base['min']}.")
    if "max" in diff and "max" in base and _max_value(diff["max"]) > _max_value(base["max"]):
        raise SnapshotError(f"`{where}`: max {diff['max']} is above the base's {base['max']}.")
    base_codes = {str(t["code"]) for t in base.get("type", [])}
    if base_codes & {"Resource", "Element", "DomainResource"}:
        return  # any resource in `contained`, any datatype where the base says Element
    for entry in diff.get("type", []):
        if base_codes and entry.get("code") not in base_codes:
            raise SnapshotError(
                f"`{where}`: type `{entry.get('code')}` is not one of the base's "
                f"({', '.join(sorted(base_codes))})."
            )


def merge(base: Json, diff: Json, where: str) -> None:
    """Constrain `base` (in place) with what `diff` states. Constraints and conditions add to
    the base's (profiling.html: "constraints ... are additive"); other properties replace."""
    _check_narrows(base, diff, where)
    for key, value in diff.items():
        if key in _KEPT:
            continue
        if key == "constraint":
            held = {c.get("key") for c in base.get("constraint", [])}
            base["constraint"] = [
                *base.get("constraint", []),
                *(copy.deepcopy(c) for c in value if c.get("key") not in held),
            ]
        elif key == "condition":
            base["condition"] = list(dict.fromkeys([*base.get("condition", []), *value]))
        else:
            if key.startswith(("fixed", "pattern")):
                for stale in [k for k in base if k.startswith(("fixed", "pattern"))]:
                    del base[stale]
            base[key] = copy.deepcopy(value)
    if _max_value(str(base.get("max", "*"))) < base.get("min", 0):
        raise SnapshotError(f"`{where}`: min {base['min']} is above max {base['max']}.")
