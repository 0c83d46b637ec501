"""Query strings -> SearchRequest, and SearchRequest -> the query string of its links."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from gateway.errors import InvalidSearch
from gateway.search.model import ParsedParameter
from gateway.search.request import Include, SearchRequest, format_query, parse


def parsed(query: str, resource_type: str = "Observation", **options: bool) -> SearchRequest:
    items = parse_qsl(query, keep_blank_values=True)
    return parse(resource_type, items, default_count=20, max_count=100, **options)


def test_parameters_keep_modifier_chain_and_order() -> None:
    request = parsed("code=a,b&subject:Patient.name:exact=Ann&code=c&date=ge2020")
    assert request.parameters == (
        ParsedParameter("code", ("a,b",), raw_name="code"),
        ParsedParameter(
            "subject", ("Ann",), "Patient", ("name:exact",), raw_name="subject:Patient.name:exact"
        ),
        ParsedParameter("code", ("c",), raw_name="code"),
        ParsedParameter("date", ("ge2020",), raw_name="date"),
    )


def test_reverse_chain_is_parsed() -> None:
    request = parsed("_has:Observation:patient:code=1234", "Patient")
    assert request.parameters == (
        ParsedParameter("_has", ("1234",), raw_name="_has:Observation:patient:code",
                        has=("Observation", "patient", "code")),
    )  # fmt: skip


def test_result_parameters() -> None:
    request = parsed(
        "_count=5&_sort=-date,code&_total=accurate&_summary=data&_elements=code,subject"
        "&_include=Observation:patient&_include=Observation:encounter:Encounter:iterate"
        "&_revinclude=Observation:has-member&_cursor=xyz"
    )
    assert request.count == 5
    assert request.sort == (("date", True), ("code", False))
    assert request.total == "accurate"
    assert request.summary == "data"
    assert request.elements == ("code", "subject")
    assert request.includes == (
        Include("Observation", "patient"),
        Include("Observation", "encounter", "Encounter", iterate=True),
    )
    assert request.revincludes == (Include("Observation", "has-member"),)
    assert request.cursor == "xyz"


def test_count_defaults_and_is_capped() -> None:
    assert parsed("").count == 20
    assert parsed("_count=5000").count == 100
    assert parsed("_count=0").count == 0


def test_unknown_parameters_are_ignored_and_reported() -> None:
    request = parsed("code=a&colour=blue&_sort=date")
    assert request.ignored == ("colour",)
    assert [p.name for p in request.parameters] == ["code"]


def test_unknown_parameters_are_errors_when_strict() -> None:
    with pytest.raises(InvalidSearch) as raised:
        parsed("colour=blue", strict=True)
    assert raised.value.issues[0].expression == "colour"


def test_empty_values_select_nothing_and_are_dropped() -> None:
    assert parsed("code=&status=final").parameters == (
        ParsedParameter("status", ("final",), raw_name="status"),
    )


@pytest.mark.parametrize(
    ("query", "name"),
    [
        pytest.param("_count=-1", "_count", id="negative-count"),
        pytest.param("_count=ten", "_count", id="word-count"),
        pytest.param("_total=some", "_total", id="total"),
        pytest.param("_summary=short", "_summary", id="summary"),
        pytest.param("_include=Observation", "_include", id="include-without-parameter"),
        pytest.param("_has:Observation:patient=1", "_has:Observation:patient", id="short-has"),
    ],
)
def test_malformed_result_parameters_name_themselves(query: str, name: str) -> None:
    with pytest.raises(InvalidSearch) as raised:
        parsed(query)
    assert raised.value.issues[0].expression == name


def test_links_repeat_the_understood_query_and_leave_out_the_rest() -> None:
    request = parsed("code=http://loinc.org|1234-5&colour=blue&_sort=-date&_count=10")
    assert format_query(request, cursor="abc") == (
        "code=http://loinc.org|1234-5&_sort=-date&_count=10&_cursor=abc"
    )


def test_iterate_is_read_from_the_parameter_name_as_r4_writes_it() -> None:
    request = parsed(
        "_include:iterate=Observation:has-member&_revinclude:iterate=Observation:patient"
    )
    assert request.includes == (Include("Observation", "has-member", iterate=True),)
    assert request.revincludes == (Include("Observation", "patient", iterate=True),)
    assert format_query(request) == (
        "_include:iterate=Observation:has-member&_revinclude:iterate=Observation:patient&_count=20"
    )
