"""How the generic indexer files a parameter's values (gateway.search.generic_index): strings
once each, normalised in `index`, as written in `exact`, the first normalised one as the sort
key; other types' scalars once each. One value takes a shorter path than several, and both must
file alike: drawn values, one or several, against the rule written out here."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway.search.generic_index import Keys, _Step, _step, _store
from gateway.search.normalise import normalise
from gateway.search.parameters import derived


def step(resource_type: str, code: str) -> _Step:
    return next(_step(c) for c in derived(resource_type).compiled if c.parameter.code == code)


def filed(parameter: _Step, values: list[Any]) -> Keys:
    keys: Keys = {"index": {}, "exact": {}, "sort": {}}
    _store(parameter, list(values), keys)
    return keys


_TEXTS = st.lists(st.sampled_from(["Ana", "ana", " ANA ", "Müller", "x"]), min_size=1, max_size=4)


@given(_TEXTS)
def test_strings_are_filed_once_each(values: list[str]) -> None:
    keys = filed(step("Organization", "name"), values)
    normalised = list(dict.fromkeys(normalise(v) for v in values))
    assert keys["index"]["name"] == normalised
    assert keys["exact"]["name"] == list(dict.fromkeys(values))
    assert keys["sort"]["name"] == normalised[0]


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4))
def test_scalars_of_a_repeating_parameter_are_filed_once_each(values: list[str]) -> None:
    keys = filed(step("PractitionerRole", "location"), values)  # references: scalar strings
    assert keys["index"]["location"] == list(dict.fromkeys(values))


def test_entries_are_filed_as_found() -> None:
    token = {"system": "s", "code": "c"}
    for values in ([token], [token, dict(token)]):
        keys = filed(step("Organization", "identifier"), values)
        assert keys["index"]["identifier"] == values
        assert keys["sort"]["identifier"] == "c"
