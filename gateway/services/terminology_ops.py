"""The terminology operations over what the gateway holds: $expand, $validate-code, $lookup,
$translate (https://hl7.org/fhir/R4/terminology-service.html).

valueset-operation-expand.html, valueset-operation-validate-code.html,
codesystem-operation-lookup.html, conceptmap-operation-translate.html. Each reads its
parameters (gateway.services.terminology_input), checks that they name one thing and do not
contradict each other (400 naming them), and asks the terminology source
(`gateway.terminology.source_for`) — whose unknown value set, system or map is its own 400.
An instance-level call (`ValueSet/{id}/$expand`) reads the resource (404 when unknown) and
uses its `url` and `version`. Authorization (issue 13): each operation needs a read scope on
the type it reads (ValueSet, CodeSystem, ConceptMap), published conformance content included,
and an instance named by id must be inside the grant, as a read of it would be (403).

The local source is in-memory and answers synchronously, so it is called on the event loop
(a thread per call would cost more than most answers); with `TERMINOLOGY_SERVER_URL` set the
source may block on the network and is called in a worker thread (`anyio.to_thread`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio

from gateway.errors import InvalidRequest
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.terminology_input import OperationInput
from gateway.terminology import CodeCheck, TerminologySource, source_for

T = TypeVar("T")


class CannotTell(InvalidRequest):
    """The source cannot decide membership (a value set it cannot enumerate); $validate-code's
    `result` is a boolean, so the answer is this error, with the source's reason."""

    issue_code = "not-supported"


async def expand(services: Services, given: OperationInput, *, instance: str | None) -> Json:
    _readable("ValueSet")
    given.refuse("valueSet", "context", "contextDirection", "date")
    url = _needed(await _canonical(services, given, "ValueSet", instance, "valueSetVersion"), given)
    text_filter, count = given.text("filter"), given.integer("count")
    offset = given.integer("offset") or 0
    answer = await _ask(
        services,
        lambda source: source.expand(url, text_filter=text_filter, count=count, offset=offset),
    )
    # resourceType first, as FHIR JSON writes it; on an instance, the id it was asked by
    return {"resourceType": "ValueSet", **answer, **({"id": instance} if instance else {})}


async def validate_code(services: Services, given: OperationInput, *, instance: str | None) -> Json:
    _readable("ValueSet")
    given.refuse("valueSet", "context", "date", "abstract", "displayLanguage")
    url = _needed(await _canonical(services, given, "ValueSet", instance, "valueSetVersion"), given)
    codings = _codings(given, codeable=True)

    def check(source: TerminologySource) -> list[CodeCheck]:
        return [
            source.validate_code(
                url, system=c.get("system"), code=c["code"], display=c.get("display")
            )
            for c in codings
        ]

    checks = await _ask(services, check)
    passed = [c for c in checks if c.result]
    if not passed and any(c.result is None for c in checks):
        raise CannotTell(next(c.message for c in checks if c.result is None))
    chosen = passed[0] if passed else None
    parameters: list[Json] = [{"name": "result", "valueBoolean": chosen is not None}]
    message = chosen.message if chosen else " ".join(c.message for c in checks)
    if message:
        parameters.append({"name": "message", "valueString": message})
    if chosen is not None and chosen.display is not None:
        parameters.append({"name": "display", "valueString": chosen.display})
    return {"resourceType": "Parameters", "parameter": parameters}


async def lookup(services: Services, given: OperationInput) -> Json:
    _readable("CodeSystem")
    given.refuse("date", "displayLanguage")
    (coding,) = _codings(given, codeable=False)
    system, code, version = coding.get("system"), coding["code"], given.text("version")
    if system is None:
        raise InvalidRequest("$lookup needs the `system` of the code.", expression="system")
    version = version or coding.get("version")
    return await _ask(services, lambda source: source.lookup(system, code, version))


async def translate(services: Services, given: OperationInput, *, instance: str | None) -> Json:
    _readable("ConceptMap")
    given.refuse("conceptMap", "dependency")
    url = await _canonical(services, given, "ConceptMap", instance, "conceptMapVersion")
    codings = _codings(given, codeable=True)
    source_vs, target_vs = given.text("source"), given.text("target")
    reverse, target_system = bool(given.boolean("reverse")), given.text("targetsystem")
    for coding in codings:
        if coding.get("system") is None:
            raise InvalidRequest("$translate needs the `system` of the code.", expression="system")

    def run(source: TerminologySource) -> list[Json]:
        return [
            source.translate(system=c["system"], code=c["code"], url=url, source=source_vs,
                             target=target_vs, reverse=reverse)
            for c in codings
        ]  # fmt: skip

    return _merged(await _ask(services, run), codings, target_system)


def _readable(resource_type: str) -> None:
    """An operation reads the value set, code system or map it names: published conformance
    content still needs a read scope on its type (403). A held instance named by id is checked
    whole by `resources.read` too (a stored one may be confined to a query)."""
    access = current()
    if not access.unrestricted:
        access.restriction("r", resource_type)


async def _ask(services: Services, call: Callable[[TerminologySource], T]) -> T:
    server = services.settings.terminology_server_url
    source = source_for(server)
    if server is None:
        return call(source)
    return await anyio.to_thread.run_sync(call, source)


async def _canonical(
    services: Services,
    given: OperationInput,
    resource_type: str,
    instance: str | None,
    version: str,
) -> str | None:
    """`url|version` of the value set or map asked about: the parameters', or the instance's
    (they must agree). A version only narrows the url it comes with."""
    url, wanted = given.text("url"), given.text(version)
    if instance is not None:
        held = (await resources.read(services.store(resource_type), instance)).resource or {}
        own, own_version = held.get("url"), held.get("version")
        if url is not None and url != own:
            raise InvalidRequest(
                f"`url` `{url}` is not the url of `{resource_type}/{instance}` (`{own}`).",
                expression="url",
            )
        if wanted is not None and own_version is not None and wanted != own_version:
            raise InvalidRequest(
                f"`{version}` `{wanted}` is not the version of `{resource_type}/{instance}` "
                f"(`{own_version}`).",
                expression=version,
            )
        url, wanted = own, wanted or own_version
    if url is None:
        if wanted is not None:
            raise InvalidRequest(f"`{version}` needs `url`.", expression=version)
        return None
    return f"{url}|{wanted}" if wanted else url


def _needed(url: str | None, given: OperationInput) -> str:
    if url is None:
        raise InvalidRequest(
            f"{given.operation} needs `url` (or call it on a ValueSet instance).", expression="url"
        )
    return url


def _codings(given: OperationInput, *, codeable: bool) -> list[Json]:
    """The codes asked about: `code` (with `system`, `display`), a `coding` or (where the
    operation takes one) a `codeableConcept`'s codings; exactly one of these forms."""
    forms = ("code", "coding", "codeableConcept") if codeable else ("code", "coding")
    named = [f"`{form}`" for form in forms if given.given(form)]
    if len(named) != 1:
        which = " and ".join(named) if named else "none"
        raise InvalidRequest(
            f"{given.operation} takes one of {', '.join(f'`{f}`' for f in forms)}; given: {which}.",
            expression=forms[0],
        )
    if given.given("code"):
        coding = {"system": given.text("system"), "code": given.text("code")}
        coding["display"] = given.text("display")
        return [{k: v for k, v in coding.items() if v is not None}]
    for name in ("system", "display"):
        if given.given(name):
            raise InvalidRequest(
                f"`{name}` goes with `code`; a Coding carries its own.", expression=name
            )
    if given.given("coding"):
        found = [given.complex("coding", "Coding") or {}]
    else:
        concept = given.complex("codeableConcept", "CodeableConcept") or {}
        listed = concept.get("coding")
        found = listed if isinstance(listed, list) else []
    codings = [c for c in found if isinstance(c, dict) and isinstance(c.get("code"), str)]
    if not codings or len(codings) != len(found):
        raise InvalidRequest(
            f"{given.operation}: every Coding given needs a `code`.", expression=named[0][1:-1]
        )
    for coding in codings:
        for key in ("system", "version", "display"):
            if not isinstance(coding.get(key, ""), str):
                raise InvalidRequest(
                    f"{given.operation}: a Coding's `{key}` must be a string.",
                    expression=named[0][1:-1],
                )
    return codings


def _merged(answers: list[Json], codings: list[Json], target_system: str | None) -> Json:
    """One $translate answer for several codings (a codeableConcept), matches kept only in
    `targetsystem` when given; `result` as the source decides it, over what is kept."""
    matches = [
        p for answer in answers for p in answer.get("parameter", []) if p.get("name") == "match"
    ]
    if target_system is not None:
        matches = [m for m in matches if _concept(m).get("system") == target_system]
    mapped = any(_equivalence(m) not in ("unmatched", "disjoint") for m in matches)
    parameters: list[Json] = [{"name": "result", "valueBoolean": mapped}]
    if not mapped:
        asked = ", ".join(f"`{c['system']}|{c['code']}`" for c in codings)
        into = f" into `{target_system}`" if target_system else ""
        parameters.append(
            {"name": "message", "valueString": f"No held ConceptMap maps {asked}{into}."}
        )
    return {"resourceType": "Parameters", "parameter": [*parameters, *matches]}


def _part(match: Json, name: str) -> Json:
    return next((p for p in match.get("part", []) if p.get("name") == name), {})


def _concept(match: Json) -> Json:
    concept: Json = _part(match, "concept").get("valueCoding", {})
    return concept


def _equivalence(match: Json) -> str:
    return str(_part(match, "equivalence").get("valueCode", ""))
