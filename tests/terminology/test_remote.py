"""The pluggable source: the held terminology first, then an external server (a local fake)."""

from __future__ import annotations

import httpx
import pytest

from fhir_profiles.canonical import held
from gateway.terminology import (
    ChainedSource,
    CodeCheck,
    ExpansionTooLarge,
    LocalSource,
    NotEnumerable,
    RemoteSource,
    TerminologyUnavailable,
    UnknownCodeSystem,
    UnknownValueSet,
    expansion_codes,
    local_source,
    source_for,
)
from tests.terminology.fake_server import BASE, COLOURS, COLOURS_VS, client

GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"
GENDER = "http://hl7.org/fhir/administrative-gender"
LOINC = "http://loinc.org"


@pytest.fixture
def calls() -> list[httpx.Request]:
    return []


@pytest.fixture
def chained(calls: list[httpx.Request]) -> ChainedSource:
    from tests.terminology.fake_server import handler

    def recording(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return handler(request)

    return ChainedSource(LocalSource(held()), RemoteSource(BASE, client=client(recording)))


def test_without_a_server_the_source_is_the_local_one() -> None:
    assert source_for(None) is local_source()


def test_with_a_server_the_source_is_chained_and_kept_per_url() -> None:
    source = source_for("http://tx.example.org/fhir/")
    assert isinstance(source, ChainedSource)
    assert isinstance(source.remote, RemoteSource)
    assert source.remote.base_url == "http://tx.example.org/fhir"
    assert source_for("http://tx.example.org/fhir/") is source


def test_a_held_value_set_never_reaches_the_server(
    chained: ChainedSource, calls: list[httpx.Request]
) -> None:
    assert chained.contains(GENDER_VS, GENDER, "male") is True
    assert chained.contains(GENDER_VS, GENDER, "banana") is False
    assert len(list(expansion_codes(chained.expand(GENDER_VS)))) == 4
    assert calls == []


def test_a_value_set_not_held_is_expanded_by_the_server(
    chained: ChainedSource, calls: list[httpx.Request]
) -> None:
    expanded = chained.expand(COLOURS_VS)
    assert list(expansion_codes(expanded)) == [
        (COLOURS, "red"), (COLOURS, "blue"), (COLOURS, "crimson")
    ]  # fmt: skip
    assert calls[0].url.path == "/fhir/ValueSet/$expand"
    assert calls[0].url.params["url"] == COLOURS_VS


def test_answers_are_cached(chained: ChainedSource, calls: list[httpx.Request]) -> None:
    chained.expand(COLOURS_VS)
    chained.expand(COLOURS_VS)
    assert len(calls) == 1


def test_validate_code_and_contains_ask_the_server(chained: ChainedSource) -> None:
    assert chained.validate_code(COLOURS_VS, system=COLOURS, code="red") == CodeCheck(True)
    assert chained.contains(COLOURS_VS, COLOURS, "green") is False


def test_what_the_local_source_cannot_tell_the_server_is_asked(
    chained: ChainedSource, calls: list[httpx.Request]
) -> None:
    """observation-codes is held but is all of LOINC: the server is asked; it does not know the
    set either, so membership stays "cannot tell" and expansion keeps the local reason."""
    observation_codes = "http://hl7.org/fhir/ValueSet/observation-codes"
    assert chained.contains(observation_codes, LOINC, "8867-4") is None
    assert calls[0].url.path == "/fhir/ValueSet/$validate-code"
    check = chained.validate_code(observation_codes, system=LOINC, code="8867-4")
    assert check.result is None
    assert "all codes of CodeSystem `http://loinc.org`" in check.message
    with pytest.raises(NotEnumerable) as raised:
        chained.expand(observation_codes)
    assert calls[-1].url.path == "/fhir/ValueSet/$expand"
    assert "all codes of CodeSystem `http://loinc.org`" in raised.value.diagnostics


def test_an_answer_of_not_known_is_cached_too(
    chained: ChainedSource, calls: list[httpx.Request]
) -> None:
    for _ in range(3):
        with pytest.raises(UnknownValueSet) as raised:
            chained.expand("http://nowhere.example.org/ValueSet/x")
    assert len(calls) == 1
    assert raised.value.diagnostics == (
        "ValueSet `http://nowhere.example.org/ValueSet/x` is not held by this server, "
        f"and terminology server `{BASE}` answered: Unknown value set."
    )


def test_a_value_set_neither_holds_is_a_400(chained: ChainedSource) -> None:
    with pytest.raises(UnknownValueSet) as raised:
        chained.expand("http://nowhere.example.org/ValueSet/x")
    assert raised.value.status == 400
    assert "`http://nowhere.example.org/ValueSet/x`" in raised.value.diagnostics


def test_descendants_and_ancestors_of_a_remote_system(chained: ChainedSource) -> None:
    assert chained.descendants(COLOURS, "colour") == {"colour", "red", "blue", "crimson"}
    assert chained.ancestors(COLOURS, "crimson") == {"colour", "red", "crimson"}
    assert chained.descendants("http://nowhere.example.org/cs", "x") is None


def test_held_systems_keep_their_local_hierarchy(
    chained: ChainedSource, calls: list[httpx.Request]
) -> None:
    act = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
    assert chained.descendants(act, "CC") == {"CC", "AE", "DN", "DV", "MC", "V"}
    assert calls == []


def test_lookup_goes_where_the_system_is(chained: ChainedSource) -> None:
    assert chained.lookup(COLOURS, "red")["parameter"][1] == {
        "name": "display",
        "valueString": "Red",
    }
    assert chained.lookup(GENDER, "male")["parameter"][0] == {
        "name": "name", "valueString": "AdministrativeGender"
    }  # fmt: skip
    with pytest.raises(UnknownCodeSystem):
        chained.lookup("http://nowhere.example.org/cs", "x")


def test_translate_falls_back_to_the_server_when_no_held_map_maps(chained: ChainedSource) -> None:
    answer = chained.translate(system=COLOURS, code="red")
    assert answer["parameter"][0] == {"name": "result", "valueBoolean": True}


def test_holds(chained: ChainedSource) -> None:
    assert chained.holds_value_set(COLOURS_VS)
    assert chained.holds_value_set(GENDER_VS)
    assert not chained.holds_value_set("http://nowhere.example.org/ValueSet/x")
    assert chained.holds_code_system(COLOURS)


def refusing(error: Exception) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        raise error

    return client(handle)


@pytest.mark.parametrize(
    ("remote_client", "cause"),
    [
        pytest.param(refusing(httpx.ConnectError("refused")), "unreachable (ConnectError)", id="down"),
        pytest.param(refusing(httpx.ReadTimeout("slow")), "no answer in time", id="timeout"),
        pytest.param(client(lambda r: httpx.Response(500, text="boom")), "HTTP 500, not a FHIR resource", id="500"),
        pytest.param(client(lambda r: httpx.Response(200, text="<html/>")), "HTTP 200, not a FHIR resource", id="not-json"),
        pytest.param(client(lambda r: httpx.Response(200, json=[1, 2])), "HTTP 200, not a FHIR resource", id="not-a-resource"),
    ],
)  # fmt: skip
def test_a_failing_server_is_a_transient_400(remote_client: httpx.Client, cause: str) -> None:
    source = ChainedSource(LocalSource(held()), RemoteSource(BASE, client=remote_client))
    with pytest.raises(TerminologyUnavailable) as raised:
        source.expand(COLOURS_VS)
    assert raised.value.status == 400
    assert raised.value.issues[0].code == "transient"
    assert raised.value.diagnostics == f"Terminology server `{BASE}` could not answer: {cause}."


def test_junk_in_an_expansion_is_skipped() -> None:
    junk = {"resourceType": "ValueSet", "expansion": {"contains": [
        {"system": COLOURS}, "x", {"code": "a", "system": COLOURS, "contains": [
            {"system": COLOURS, "code": "b"}, {"system": 3, "code": "c"}]}]}}  # fmt: skip
    assert list(expansion_codes(junk)) == [(COLOURS, "a"), (COLOURS, "b")]


def paging_server(total: int, page_size: int) -> httpx.Client:
    """A server that answers at most `page_size` codes per $expand, whatever count is asked."""

    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        size = min(page_size, int(request.url.params["count"]))
        codes = [f"c{i}" for i in range(offset, min(offset + size, total))]
        contains = [{"system": COLOURS, "code": code} for code in codes]
        expansion = {"total": total, "offset": offset, "contains": contains}
        return httpx.Response(200, json={"resourceType": "ValueSet", "expansion": expansion})

    return client(handle)


def test_a_server_paging_below_the_count_is_read_to_its_total() -> None:
    remote = RemoteSource(BASE, client=paging_server(total=7, page_size=3))
    codes = [code for _, code in expansion_codes(remote.expand(COLOURS_VS))]
    assert codes == [f"c{i}" for i in range(7)]


def test_a_remote_expansion_past_the_limit_is_too_large() -> None:
    remote = RemoteSource(BASE, client=paging_server(total=50, page_size=10), limit=20)
    with pytest.raises(ExpansionTooLarge):
        remote.expand(COLOURS_VS)
    assert len(remote.expand(COLOURS_VS, count=5)["expansion"]["contains"]) == 5


def test_a_junk_expansion_is_read_as_empty() -> None:
    junk = {"resourceType": "ValueSet", "expansion": {"total": "many", "contains": "x"}}
    remote = RemoteSource(BASE, client=client(lambda r: httpx.Response(200, json=junk)))
    assert list(expansion_codes(remote.expand(COLOURS_VS))) == []
