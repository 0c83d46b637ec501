"""SMART scope strings: v1 and v2 forms, what is skipped, and parse/format round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.auth.scopes import (
    ALL_INTERACTIONS,
    INTERACTIONS,
    Interaction,
    Scope,
    format_scope,
    parse_scope,
    parse_scopes,
)


def letters(text: str) -> frozenset[Interaction]:
    return frozenset(letter for letter in INTERACTIONS if letter in text)


RS = letters("rs")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("patient/Observation.read", Scope("patient", "Observation", RS), id="v1-read"),
        pytest.param("user/*.write", Scope("user", "*", letters("cud")), id="v1-write"),
        pytest.param("system/*.*", Scope("system", "*", ALL_INTERACTIONS), id="v1-star"),
        pytest.param("patient/Observation.rs", Scope("patient", "Observation", RS), id="v2-rs"),
        pytest.param(
            "user/Patient.cruds", Scope("user", "Patient", ALL_INTERACTIONS), id="v2-cruds"
        ),
        pytest.param("system/Encounter.c", Scope("system", "Encounter", letters("c")), id="v2-c"),
        pytest.param("patient/*.s", Scope("patient", "*", letters("s")), id="v2-star-type"),
        pytest.param("user/Condition.cd", Scope("user", "Condition", letters("cd")), id="v2-cd"),
        pytest.param(
            "patient/Observation.rs?category=laboratory",
            Scope("patient", "Observation", RS, (("category", "laboratory"),)),
            id="v2-query",
        ),
        pytest.param(
            "patient/Observation.rs?code=http://loinc.org|1234-5&status=final",
            Scope(
                "patient",
                "Observation",
                RS,
                (("code", "http://loinc.org|1234-5"), ("status", "final")),
            ),
            id="v2-query-two-pairs",
        ),
        pytest.param(
            "user/Observation.rs?category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Claboratory",
            Scope(
                "user",
                "Observation",
                RS,
                (
                    (
                        "category",
                        "http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
                    ),
                ),
            ),
            id="v2-query-percent-encoded",
        ),
    ],
)
def test_resource_scope_is_parsed(text: str, expected: Scope) -> None:
    assert parse_scope(text) == expected
    assert parse_scopes(text) == (expected,)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("openid", id="openid"),
        pytest.param("fhirUser", id="fhirUser"),
        pytest.param("profile", id="profile"),
        pytest.param("launch", id="launch"),
        pytest.param("launch/patient", id="launch-patient"),
        pytest.param("offline_access", id="offline"),
        pytest.param("online_access", id="online"),
        pytest.param("patient/Observation.sr", id="letters-out-of-order"),
        pytest.param("patient/Observation.rr", id="letter-repeated"),
        pytest.param("patient/Observation.rsx", id="unknown-letter"),
        pytest.param("patient/Observation.", id="no-suffix"),
        pytest.param("patient/Observation", id="no-dot"),
        pytest.param("patient/Observation.Read", id="v1-wrong-case"),
        pytest.param("patient/Observation.r*", id="star-with-letters"),
        pytest.param("patient/observation.rs", id="type-lower-case"),
        pytest.param("patient/Foo.rs", id="unknown-type"),
        pytest.param("Patient/Observation.rs", id="context-capitalised"),
        pytest.param("admin/Observation.rs", id="unknown-context"),
        pytest.param("patient/Observation.rs?", id="empty-query"),
        pytest.param("patient/Observation.rs?category", id="parameter-without-value"),
        pytest.param("patient/Observation.rs?category=", id="empty-value"),
        pytest.param("patient/Observation.rs?category=lab&", id="trailing-ampersand"),
        pytest.param("patient/Observation.rs?=lab", id="value-without-parameter"),
        pytest.param("patient/Observation.rs?cat%20egory=lab", id="parameter-not-a-name"),
        pytest.param("patient/Observation.rs?a=%ff", id="not-utf8"),
    ],
)
def test_non_resource_or_malformed_scope_is_skipped(text: str) -> None:
    assert parse_scope(text) is None
    assert parse_scopes(f"{text} user/Patient.r") == (Scope("user", "Patient", letters("r")),)


def test_scopes_are_space_separated_in_order_without_duplicates() -> None:
    text = (
        "openid  fhirUser\tpatient/Observation.rs launch/patient user/*.read patient/Observation.rs"
    )
    assert parse_scopes(text) == (
        Scope("patient", "Observation", RS),
        Scope("user", "*", RS),
    )


def test_v1_and_v2_spellings_are_the_same_scope() -> None:
    assert parse_scope("patient/*.read") == parse_scope("patient/*.rs")
    assert parse_scope("user/*.write") == parse_scope("user/*.cud")
    assert parse_scope("system/*.*") == parse_scope("system/*.cruds")


def test_empty_scope_string_has_no_scopes() -> None:
    assert parse_scopes("") == ()
    assert parse_scopes("   ") == ()


@pytest.mark.parametrize(
    ("scope", "text"),
    [
        pytest.param(Scope("patient", "Observation", RS), "patient/Observation.rs", id="rs"),
        pytest.param(Scope("system", "*", ALL_INTERACTIONS), "system/*.cruds", id="cruds"),
        pytest.param(
            Scope("user", "Observation", RS, (("code", "http://loinc.org|1234-5"),)),
            "user/Observation.rs?code=http://loinc.org|1234-5",
            id="query-readable",
        ),
        pytest.param(
            Scope("user", "Observation", RS, (("note", "a&b=c d+%"),)),
            "user/Observation.rs?note=a%26b%3Dc%20d%2B%25",
            id="query-escaped",
        ),
    ],
)
def test_format_writes_v2_letters_in_cruds_order(scope: Scope, text: str) -> None:
    assert format_scope(scope) == text
    assert parse_scope(text) == scope


# --- properties ---------------------------------------------------------------------------------

_TYPES = st.sampled_from(["*", "Patient", "Observation", "Encounter", "Condition", "AuditEvent"])
_LETTER_SETS = st.frozensets(st.sampled_from(INTERACTIONS), min_size=1)
_PARAMETERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-.:]{0,12}", fullmatch=True)
_VALUES = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1)
_SCOPES = st.builds(
    Scope,
    st.sampled_from(["patient", "user", "system"]),
    _TYPES,
    _LETTER_SETS,
    st.lists(st.tuples(_PARAMETERS, _VALUES), max_size=3).map(tuple),
)


@given(_SCOPES)
def test_format_then_parse_gives_the_scope_back(scope: Scope) -> None:
    text = format_scope(scope)
    assert " " not in text  # one token of a space-separated scope string
    parsed = parse_scope(text)
    assert parsed == scope
    assert format_scope(parsed) == text


_SUFFIXES = st.one_of(
    st.sampled_from(["read", "write", "*", "cruds", "rs", "sr", "c", "", "cc"]),
    st.text(st.sampled_from("cruds*readwitx"), max_size=8),
)


@given(st.sampled_from(["patient", "user", "system"]), _TYPES, _SUFFIXES)
def test_no_scope_grants_more_than_its_letters(context: str, type_: str, suffix: str) -> None:
    scope = parse_scope(f"{context}/{type_}.{suffix}")
    if scope is None:
        return
    implied = {"read": letters("rs"), "write": letters("cud"), "*": letters("cruds")}
    assert scope.interactions <= implied.get(suffix, letters(suffix))
    assert scope.interactions  # a parsed scope always grants something named in it
    assert scope.context == context
    assert scope.resource_type == type_


@given(st.text())
def test_any_text_parses_without_error_to_formattable_scopes(text: str) -> None:
    for scope in parse_scopes(text):
        assert parse_scope(format_scope(scope)) == scope
