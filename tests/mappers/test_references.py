"""The one reference walk: holders anywhere, conditional references, rewriting, typed mentions."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidResource
from gateway.jsonio import Json
from mappers.references import holders, is_conditional, references, replace_mentions, rewrite


def ref(target: str) -> Json:
    return {"reference": target}


PANEL: Json = {
    "resourceType": "Observation",
    "subject": ref("urn:uuid:pat"),
    "extension": [
        {"url": "http://example.org/a", "valueReference": ref("Patient/1")},
        {"url": "http://example.org/b", "extension": [{"url": "c", "valueReference": ref("#c1")}]},
    ],
    "contained": [{"resourceType": "Observation", "id": "c1", "subject": ref("urn:uuid:pat")}],
    "hasMember": [ref("Observation?code=x"), {"display": "no reference here"}],
    "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:pat"}],
}


def test_holders_are_found_anywhere_in_document_order() -> None:
    found = holders(PANEL)
    assert [h["reference"] for h in found] == [
        "urn:uuid:pat", "Patient/1", "#c1", "urn:uuid:pat", "Observation?code=x",
    ]  # fmt: skip
    assert found[1] is PANEL["extension"][0]["valueReference"]  # the objects themselves


@pytest.mark.parametrize(
    ("extra", "mentioned"),
    [
        pytest.param({}, False, id="references-only"),
        pytest.param({"instantiatesUri": ["urn:uuid:pat"]}, True, id="uri-in-a-list"),
        pytest.param({"implicitRules": "urn:uuid:pat"}, True, id="uri"),
        pytest.param({"text": {"div": '<div><a href="urn:uuid:x"/></div>'}}, True, id="narrative"),
    ],
)
def test_other_mentions_of_the_names_are_noticed(extra: Json, mentioned: bool) -> None:
    resource = {"resourceType": "Patient", "link": [{"other": ref("urn:uuid:pat")}], **extra}
    found, mentions = references(resource, {"urn:uuid:pat": "Patient/9"})
    assert (len(found), mentions) == (1, mentioned)
    assert references(resource, {})[1] is False


@pytest.mark.parametrize(
    ("reference", "conditional"),
    [
        pytest.param("Patient?identifier=x|1", True, id="search"),
        pytest.param("http://server/fhir/Patient?identifier=x|1", True, id="absolute-search"),
        pytest.param("Patient/1", False, id="relative"),
        pytest.param("#c1?x", False, id="contained"),
        pytest.param("urn:uuid:1?x", False, id="urn"),
    ],
)
def test_is_conditional(reference: str, conditional: bool) -> None:
    assert is_conditional(reference) is conditional


def test_rewrite_replaces_what_the_map_names_and_answers_the_rest() -> None:
    found = [ref("urn:uuid:a"), ref("Patient?x=1"), ref("urn:uuid:a")]
    rest = rewrite(found, {"urn:uuid:a": "Patient/1"})
    assert found == [ref("Patient/1"), ref("Patient?x=1"), ref("Patient/1")]
    assert rest == [ref("Patient?x=1")]
    assert rest[0] is found[1]


def test_replace_mentions_changes_uri_elements_and_links_but_not_data() -> None:
    resource = {
        "resourceType": "Observation",
        "implicitRules": "urn:uuid:a",
        "text": {"status": "generated", "div": '<div><a href="urn:uuid:a">x</a></div>'},
        "extension": [{"url": "http://example.org/s", "valueUri": "urn:uuid:a"}],
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:a"}],
        "contained": [{"resourceType": "Patient", "implicitRules": "urn:uuid:a"}],
        "note": [{"text": "urn:uuid:a"}],
    }
    replace_mentions(resource, {"urn:uuid:a": "Patient/1"})
    assert resource["implicitRules"] == resource["extension"][0]["valueUri"] == "Patient/1"
    assert resource["text"]["div"] == '<div><a href="Patient/1">x</a></div>'
    assert resource["contained"][0]["implicitRules"] == "Patient/1"
    assert resource["identifier"][0]["value"] == resource["note"][0]["text"] == "urn:uuid:a"


def test_replace_mentions_leaves_values_of_the_wrong_json_type() -> None:
    resource = {"resourceType": "Observation", "implicitRules": {"not": "a string"},
                "contained": [{"resourceType": ["Patient"]}]}  # fmt: skip
    replace_mentions(resource, {"urn:uuid:a": "Patient/1"})
    assert resource["implicitRules"] == {"not": "a string"}


def test_nesting_deeper_than_python_recurses_is_a_client_error() -> None:
    deep: Json = ref("urn:uuid:a")
    for _ in range(5000):
        deep = {"extension": [deep]}
    with pytest.raises(InvalidResource) as refused:
        holders(deep)
    assert [i.code for i in refused.value.issues] == ["too-long"]
