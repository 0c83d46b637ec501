"""`import --url`'s pipeline: batches overlap only where the sequential order cannot matter."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from gateway.cli import remote
from gateway.cli.in_flight import ANY_TYPE, Claims, InFlight
from gateway.cli.main import cli
from tests.services.test_import_cli import gateway_url
from tests.services.test_importer import patient

__all__ = ["gateway_url"]  # the fixture

WAIT = 5  # seconds a test waits for a thread before calling it a deadlock


def claims(targets: Iterable[str], searches: Iterable[str] = ()) -> Claims:
    return Claims(
        targets=frozenset(targets),
        types=frozenset(target.split("/")[0] for target in targets),
        searches=frozenset(searches),
    )


@pytest.mark.parametrize(
    ("later", "earlier", "waits"),
    [
        pytest.param(claims({"Patient/a"}), claims({"Patient/b"}), False, id="other-ids"),
        pytest.param(claims({"Patient/a"}), claims({"Patient/a"}), True, id="same-resource"),
        pytest.param(
            claims({"Encounter/e"}, {"Practitioner"}),
            claims({"Practitioner/p"}),
            True,
            id="searches-a-written-type",
        ),
        pytest.param(
            claims({"Encounter/e"}, {"Practitioner"}),
            claims({"Patient/p"}),
            False,
            id="searches-another-type",
        ),
        pytest.param(
            claims({"Encounter/e"}, {ANY_TYPE}), claims({"Patient/p"}), True, id="chained-criteria"
        ),
    ],
)
def test_a_batch_waits_only_for_what_it_depends_on(
    later: Claims, earlier: Claims, waits: bool
) -> None:
    assert later.waits_for(earlier) is waits


@pytest.mark.parametrize(
    ("reference", "searched"),
    [
        pytest.param("Practitioner?identifier=http://npi|3", {"Practitioner"}, id="identifier"),
        pytest.param("Patient?general-practitioner.name=Ng", {ANY_TYPE}, id="chain"),
        pytest.param("Patient?_has:Observation:subject:code=1", {ANY_TYPE}, id="reverse-chain"),
        pytest.param("http://elsewhere/fhir/Patient?identifier=x|1", {ANY_TYPE}, id="absolute"),
        pytest.param("Patient/1", set(), id="literal"),
        pytest.param("urn:uuid:1?x", set(), id="urn"),
    ],
)
def test_the_types_a_conditional_reference_searches(reference: str, searched: set[str]) -> None:
    assert remote._searched([{"reference": reference}]) == searched


def test_answers_are_recorded_in_the_order_sent_however_they_arrive() -> None:
    first_may_answer = threading.Event()
    recorded: list[str] = []
    with InFlight(2) as pipeline:
        pipeline.submit(claims({"Patient/a"}), lambda: first_may_answer.wait(WAIT) and "a", recorded.append)  # fmt: skip
        pipeline.defer(lambda: recorded.append("reported between"))
        pipeline.submit(claims({"Patient/b"}), lambda: "b", recorded.append)
        first_may_answer.set()
    assert recorded == ["a", "reported between", "b"]


def test_independent_batches_are_at_the_server_together() -> None:
    second_sent = threading.Event()
    with InFlight(2) as pipeline:
        # the first answers only once the second has been sent: sequential sending would stall
        pipeline.submit(claims({"Patient/a"}), lambda: second_sent.wait(WAIT), lambda seen: None)
        pipeline.submit(claims({"Patient/b"}), second_sent.set, lambda _: None)
        pipeline.drain()
    assert second_sent.is_set()


@pytest.mark.parametrize(
    ("limit", "second_claims"),
    [
        pytest.param(2, claims({"Patient/a"}), id="same-resource"),
        pytest.param(2, claims({"Encounter/e"}, {"Patient"}), id="searches-it"),
        pytest.param(1, claims({"Observation/o"}), id="one-in-flight"),
    ],
)
def test_a_batch_is_sent_only_after_what_it_must_follow_is_answered(
    limit: int, second_claims: Claims
) -> None:
    events: list[str] = []
    second_sent = threading.Event()

    def first() -> str:
        second_sent.wait(0.3)  # time enough for a second batch sent too early to go
        events.append("first sent")
        return "first"

    def second() -> str:
        events.append("second sent")
        second_sent.set()
        return "second"

    with InFlight(limit) as pipeline:
        pipeline.submit(claims({"Patient/a"}), first, lambda n: events.append(f"{n} answered"))
        pipeline.submit(second_claims, second, lambda n: events.append(f"{n} answered"))
    assert events == ["first sent", "first answered", "second sent", "second answered"]


def test_a_failed_send_ends_the_import() -> None:
    def refused() -> None:
        raise httpx.ConnectError("refused")

    pipeline = InFlight(2)
    pipeline.submit(claims({"Patient/a"}), refused, lambda _: None)
    with pytest.raises(httpx.ConnectError):
        pipeline.drain()
    pipeline.pool.shutdown()


def test_at_least_one_batch_must_fly() -> None:
    with pytest.raises(ValueError, match="At least one"):
        InFlight(0)


def _counting_posts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    post = remote._post

    def counted(client: httpx.Client, base: str, puts: list[Any]) -> Any:
        sizes.append(len(puts))
        return post(client, base, puts)

    monkeypatch.setattr(remote, "_post", counted)
    return sizes


def test_a_reference_to_an_earlier_files_resource_resolves_without_a_retry(
    tmp_path: Path,
    gateway_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sent while the Practitioners' batch may still be at the server, the Encounters would
    miss them and go again at the end; they wait for it instead, as the sequential import did."""
    monkeypatch.delenv("MONGODB_URI", raising=False)
    doctors = [{"resourceType": "Practitioner", "identifier": [{"system": "http://npi", "value": str(n)}]}
               for n in range(20)]  # fmt: skip
    visits = [{"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"},
               "participant": [{"individual": {"reference": f"Practitioner?identifier=http://npi|{n}"}}]}
              for n in range(20)]  # fmt: skip
    (tmp_path / "a.ndjson").write_text("\n".join(json.dumps(d) for d in doctors))
    (tmp_path / "b.ndjson").write_text("\n".join(json.dumps(v) for v in visits))
    sizes = _counting_posts(monkeypatch)
    command = ["import", str(tmp_path), "--url", gateway_url, "--in-flight", "2"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert sizes == [20, 20]  # no batch of retries
    with httpx.Client(base_url=gateway_url) as client:
        found = client.get("/Encounter", params={"_count": 50}).json()["entry"]
    references = [e["resource"]["participant"][0]["individual"]["reference"] for e in found]
    assert len(references) == 20
    assert all(reference.startswith("Practitioner/") for reference in references)


def test_a_later_files_version_of_a_resource_lands_last(
    tmp_path: Path,
    gateway_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MONGODB_URI", raising=False)
    for name, family in (("a", "Old"), ("b", "New")):
        (tmp_path / f"{name}.ndjson").write_text(json.dumps(
            {**patient("p1", "V-1"), "name": [{"family": family}]}))  # fmt: skip
    command = ["import", str(tmp_path), "--url", gateway_url, "--keep-ids", "--in-flight", "2"]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    with httpx.Client(base_url=gateway_url) as client:
        stored = client.get("/Patient/p1").json()
    assert (stored["name"], stored["meta"]["versionId"]) == ([{"family": "New"}], "2")


def test_no_batch_in_flight_is_a_bad_invocation(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", str(tmp_path), "--url", "http://x/fhir", "--in-flight", "0"])  # fmt: skip
    assert result.exit_code == 2, result.output
