"""Snapshot generation: a profile's differential laid over its base's snapshot.

https://hl7.org/fhir/R4/profiling.html#snapshot and structuredefinition.html#snapshot. The walk
is by element id: each differential element finds (or brings into being) the snapshot element
it constrains, then constrains it. Brought into being are a datatype's own elements when the
differential goes below it (`Observation.valueQuantity.code` -> Quantity's `code`), slices
(copied from the element they slice, with its children), choice-type slices (`valueQuantity`
-> `value[x]:valueQuantity`, as HL7's R4 snapshots have them) and `contentReference` copies.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from gateway.conformance.snapshot_elements import (
    EXTENSION_SLICING,
    INLINE_TYPES,
    SnapshotError,
    check_shape,
    choice_type,
    element_id,
    merge,
    renamed,
    split_id,
)

Json = dict[str, Any]
Resolve = Callable[[str], Json | None]
R4_BASE = "http://hl7.org/fhir/StructureDefinition/"
TYPE_SLICING: Json = {"discriminator": [{"path": "$this", "type": "type"}], "ordered": False}

__all__ = ["SnapshotError", "snapshot"]


def snapshot(sd: Json, resolve: Resolve) -> list[Json]:
    """The snapshot elements of the constraint StructureDefinition `sd`, generated from its
    `differential` over its `baseDefinition` (resolved, and generated first if it carries only
    a differential itself). Raises SnapshotError for what it cannot or may not generate."""
    return _Walk(sd, resolve).run()


def snapshot_of(sd: Json, resolve: Resolve) -> list[Json]:
    """The held snapshot of `sd`, or one generated from its differential."""
    held = sd.get("snapshot")
    elements = held.get("element") if isinstance(held, dict) else None
    if isinstance(elements, list) and elements:
        result: list[Json] = elements
        return result
    return snapshot(sd, resolve)


class _Walk:
    """One generation: the working snapshot, its pristine copies and the choice renames."""

    def __init__(self, sd: Json, resolve: Resolve) -> None:
        self.url = str(sd.get("url", sd.get("id", "?")))
        if sd.get("derivation") != "constraint":
            raise SnapshotError(f"`{self.url}`: only constraint profiles get generated snapshots.")
        base_url = sd.get("baseDefinition")
        base = resolve(base_url) if isinstance(base_url, str) else None
        if base is None:
            raise SnapshotError(f"`{self.url}`: base definition `{base_url}` is not held.")
        if base.get("type") != sd.get("type"):
            raise SnapshotError(
                f"`{self.url}`: type `{sd.get('type')}` is not its base's `{base.get('type')}`."
            )
        self.resolve = resolve
        differential = sd.get("differential")
        elements = differential.get("element") if isinstance(differential, dict) else None
        if not isinstance(elements, list):
            raise SnapshotError(f"`{self.url}`: `differential.element` is not a list.")
        self.differential: list[Json] = elements
        self.elements = copy.deepcopy(snapshot_of(base, resolve))
        # What each element was before this differential touched it: slices start from it.
        self.pristine = {str(e["id"]): copy.deepcopy(e) for e in self.elements}
        self.renames: dict[str, str] = {}  # differential id -> snapshot id (choice types)

    def run(self) -> list[Json]:
        for diff in self.differential:
            if not isinstance(diff, dict):
                raise SnapshotError(f"`{self.url}`: a differential element is not an object.")
            diff_id = element_id(diff)
            check_shape(diff, f"{self.url}#{diff_id}")
            target = self._locate(diff_id, diff)
            merge(target, diff, f"{self.url}#{diff_id}")
        return self.elements

    def _find(self, snapshot_id: str) -> Json | None:
        return next((e for e in self.elements if e["id"] == snapshot_id), None)

    def _translated(self, diff_id: str) -> str:
        for old, new in sorted(self.renames.items(), key=lambda kv: -len(kv[0])):
            if diff_id == old or diff_id.startswith((old + ".", old + ":")):
                return new + diff_id[len(old) :]
        return diff_id

    def _locate(self, diff_id: str, diff: Json | None) -> Json:
        """The snapshot element the differential id `diff_id` names, created if need be."""
        found = self._find(self._translated(diff_id))
        if found is not None:
            return found
        parent_diff_id, name, slice_name = split_id(diff_id)
        if not parent_diff_id:
            raise SnapshotError(f"`{self.url}`: `{diff_id}` is not an element of the base type.")
        if slice_name is not None:
            sliced = self._locate(f"{parent_diff_id}.{name}", None)
            return self._new_slice(sliced, slice_name)
        parent = self._locate(parent_diff_id, None)
        self._expand(parent)
        child = self._find(f"{parent['id']}.{name}")
        if child is not None:
            return child
        return self._choice(parent, name, diff_id, diff)

    def _descendants(self, snapshot_id: str, *, with_slices: bool) -> range:
        """Indexes of the element `snapshot_id` and what follows it as its children (and, if
        asked, its slices with theirs): a contiguous run in a snapshot."""
        start = next(i for i, e in enumerate(self.elements) if e["id"] == snapshot_id)
        prefixes = (snapshot_id + ".", snapshot_id + ":") if with_slices else (snapshot_id + ".",)
        end = start + 1
        while end < len(self.elements) and str(self.elements[end]["id"]).startswith(prefixes):
            end += 1
        return range(start, end)

    def _insert_after(self, anchor_id: str, new: list[Json], *, with_slices: bool) -> None:
        at = self._descendants(anchor_id, with_slices=with_slices).stop
        self.elements[at:at] = new
        for element in new:
            self.pristine[str(element["id"])] = copy.deepcopy(element)

    def _expand(self, parent: Json) -> None:
        """Bring in `parent`'s children from its datatype (or `contentReference`) if the
        snapshot does not list them yet."""
        parent_id = str(parent["id"])
        if len(self._descendants(parent_id, with_slices=False)) > 1:
            return
        reference = parent.get("contentReference")
        if isinstance(reference, str):
            source_id = reference.removeprefix("#")
            source = self._find(source_id)
            if source is None:
                raise SnapshotError(f"`{self.url}`: `{reference}` names no element.")
            run = self._descendants(source_id, with_slices=False)
            children = [self.pristine[str(self.elements[i]["id"])] for i in run][1:]
            old_path, old_id = str(source["path"]), source_id
        else:
            type_elements = self._type_elements(parent)
            children = type_elements[1:]
            old_path = old_id = str(type_elements[0]["id"])
        self._insert_after(
            parent_id,
            [
                renamed(
                    c, old_id=old_id, new_id=parent_id, old_path=old_path, new_path=parent["path"]
                )
                for c in children
            ],
            with_slices=False,
        )

    def _type_elements(self, element: Json) -> list[Json]:
        types = element.get("type", [])
        if len(types) != 1:
            raise SnapshotError(
                f"`{self.url}`: cannot constrain below `{element['id']}`, which has "
                f"{len(types)} types; restrict it to one first."
            )
        code, profiles = str(types[0]["code"]), types[0].get("profile", [])
        if code in INLINE_TYPES:
            raise SnapshotError(f"`{self.url}`: `{element['id']}` ({code}) has no children.")
        url = profiles[0] if len(profiles) == 1 else R4_BASE + code
        type_sd = self.resolve(url)
        if type_sd is None:
            raise SnapshotError(f"`{self.url}`: the type `{url}` of `{element['id']}` is not held.")
        return snapshot_of(type_sd, self.resolve)

    def _new_slice(self, sliced: Json, slice_name: str) -> Json:
        sliced_id = str(sliced["id"])
        if "slicing" not in sliced:
            if str(sliced["path"]).endswith((".extension", ".modifierExtension")):
                sliced["slicing"] = copy.deepcopy(EXTENSION_SLICING)
            else:
                raise SnapshotError(
                    f"`{self.url}`: slice `{slice_name}` of `{sliced_id}`, "
                    "which declares no slicing."
                )
        slice_id = f"{sliced_id}:{slice_name}"
        run = self._descendants(sliced_id, with_slices=False)
        copies = [self.pristine[str(self.elements[i]["id"])] for i in run]
        new = [
            renamed(c, old_id=sliced_id, new_id=slice_id, old_path="", new_path="") for c in copies
        ]
        new[0].pop("slicing", None)
        new[0].update(sliceName=slice_name, min=0)  # a slice is optional unless it says so
        self._insert_after(sliced_id, new, with_slices=True)
        return new[0]

    def _choice(self, parent: Json, name: str, diff_id: str, diff: Json | None) -> Json:
        """`valueQuantity` in a differential: `value[x]` itself when it can only be a Quantity
        or the differential element restricts its type (bp's components), else a type slice
        of `value[x]` (bodyweight's value): HL7's R4 vital signs snapshots do each."""
        prefix = f"{parent['id']}."
        choice = next(
            (
                e
                for e in self.elements
                if str(e["id"]).startswith(prefix)
                and not {".", ":"} & set(str(e["id"])[len(prefix) :])
                and choice_type(name, self.pristine[str(e["id"])]) is not None
            ),
            None,
        )
        if choice is None:
            raise SnapshotError(f"`{self.url}`: `{diff_id}` matches no element of the base.")
        # the types the base allows: an earlier type slice has narrowed `choice` itself
        entry = copy.deepcopy(choice_type(name, self.pristine[str(choice["id"])]))
        only_type = "slicing" not in choice and len(choice.get("type", [])) == 1
        if only_type or (diff is not None and "type" in diff):
            self.renames[diff_id] = str(choice["id"])
            return choice
        if "slicing" not in choice:
            choice["slicing"] = {**copy.deepcopy(TYPE_SLICING), "rules": "closed"}
            choice["type"] = []
        if entry not in choice["type"]:
            choice["type"].append(entry)
        self.renames[diff_id] = f"{choice['id']}:{name}"
        slice_ = self._new_slice(choice, name)
        slice_["type"] = [entry]
        return slice_
