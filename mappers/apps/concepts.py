"""App enums to FHIR codes and back, through the ConceptMaps the gateway publishes.

The maps in `fhir_profiles/source/ConceptMap-*.json` are the one statement of how an app's code
becomes a FHIR code, so the adapters read them instead of keeping a second table in Python.
https://hl7.org/fhir/R4/conceptmap.html
"""

from __future__ import annotations

from functools import cache

from fhir_profiles.canonical import held

__all__ = ["translate", "untranslate"]


@cache
def _tables(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """(source code -> target code, target code -> source code) of ConceptMap `url`."""
    concept_map = held().resolve(url, "ConceptMap")
    if concept_map is None:
        raise LookupError(f"ConceptMap `{url}` is not held.")
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for group in concept_map.get("group", ()):
        for element in group.get("element", ()):
            for target in element.get("target", ()):
                if target.get("equivalence") in ("unmatched", "disjoint") or "code" not in target:
                    continue
                forward.setdefault(element["code"], target["code"])
                backward.setdefault(target["code"], element["code"])
    return forward, backward


def translate(url: str, code: str) -> str:
    """The target code ConceptMap `url` gives `code`; LookupError when it maps none."""
    target = _tables(url)[0].get(code)
    if target is None:
        raise LookupError(f"ConceptMap `{url}` maps no target for `{code}`.")
    return target


def untranslate(url: str, code: str) -> str | None:
    """The first source code ConceptMap `url` maps to target `code`, None when none does."""
    return _tables(url)[1].get(code)
