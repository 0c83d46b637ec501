"""The two ways to answer membership agree: the enumerated set (a dictionary look-up) and the
include-by-include evaluation used when a set cannot be enumerated, over every R4 value set that
can be enumerated here."""

from __future__ import annotations

from fhir_profiles.canonical import held
from gateway.terminology import ExpansionTooLarge, NotEnumerable
from gateway.terminology.codesystem import CodeSystemIndex
from gateway.terminology.compose import Composer


def composer() -> Composer:
    indexes: dict[str, CodeSystemIndex | None] = {}

    def code_system(url: str) -> CodeSystemIndex | None:
        if url not in indexes:
            found = held().resolve(url, "CodeSystem")
            indexes[url] = CodeSystemIndex.of(found) if found else None
        return indexes[url]

    return Composer(lambda url: held().resolve(url, "ValueSet"), code_system)


def test_include_by_include_agrees_with_the_expansion() -> None:
    enumerated, evaluated = composer(), composer()
    foreign = [
        ("http://example.org/none", "x"),
        ("http://hl7.org/fhir/administrative-gender", "male"),
    ]
    disagreements, checked = [], 0
    for value_set in held().of_type("ValueSet"):
        url = value_set["url"]
        try:
            codes = enumerated.codes(url)
        except (NotEnumerable, ExpansionTooLarge):
            continue
        evaluated._refused[url] = NotEnumerable(url, "forced")  # skip the look-up for this set
        members = {(c.system, c.code) for c in codes}
        for system, code in [*list(members)[:20], *_neighbours(members), *foreign]:
            checked += 1
            if evaluated.contains(url, system, code) is not ((system, code) in members):
                disagreements.append((url, system, code))
    assert checked > 10_000
    assert disagreements == []


def _neighbours(members: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Codes of the same code systems that are not in the set (up to 20 per system)."""
    found = []
    for system in {system for system, _ in members}:
        resource = held().resolve(system, "CodeSystem")
        index = CodeSystemIndex.of(resource) if resource else None
        codes = [] if index is None else [c for c in index.codes() if (system, c) not in members]
        found.extend((system, code) for code in codes[:20])
    return found
