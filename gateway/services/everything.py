"""`Patient/{id}/$everything` and `Patient/$everything`: a patient's record as a searchset.

https://hl7.org/fhir/R4/patient-operation-everything.html. The answer is the patient and every
resource in its Patient compartment (gateway.services.compartments), of every type the server
holds (types nothing is stored of cost no query: Storage.holding), in pages:

- Order: Patient first, then the other types alphabetically, each in `_id` order. A page reads
  at most `_count + 1` documents per type it visits, and the `next` link's cursor holds the type
  and the last `_id`, so memory is one page whatever the record's size, and paging through
  gives each resource once (keyset paging, as search does).
- Every entry has `search.mode` `match`: the operation's result is the patient and its
  compartment, all of them asked for; none is there only because another one refers to it.
- `_since` (an instant): only resources with `meta.lastUpdated` at or after it, the patient too.
- `_type`: only these types (the patient only when `Patient` is among them); an unknown type is
  a 400, a known type outside the compartment contributes nothing.
- `start` / `end`: care dates, not record dates. Each type's care date is the R4 date parameter
  in CARE_DATES; a resource matches when that date's range overlaps [start, end] (`ge` start,
  `le` end, search.html#date). Resources with no care date (the patient, a type not in the
  table, or an element left empty) are included: the operation narrows by when care happened, and they do not say.
- `_count`: page size as for search (default and cap from the settings); `0` gives the total.
- Any other parameter (but `_format`, `_pretty`) is ignored with a warning entry, or refused
  with `Prefer: handling=strict`, as search does.
- Resources outside the compartment that members refer to (the spec's "resources needed to
  support the records": practitioners, organizations, medications) are not added; a client
  gets them with `_include` on a compartment search.
- `Bundle.total`: counted on the first page (one count per held type), carried by the cursor.
- `Patient/$everything`: the same over every patient's compartment, each type narrowed by what
  the caller may see (below).
- Authorization (gateway.services.access): the operation is a search ("s"). Types the token may
  not search are passed by silently (the Patient itself too), the others carry their "s"
  clause ANDed with the compartment, so a `patient/` token asking for another patient gets an
  empty searchset (200), never a 403 and never data; the page is checked with `may("s")` as
  well. The 404/410 for an unknown or deleted patient is answered only to a token that may
  search every Patient: to a narrower one it would tell which ids exist outside its grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from gateway.domain.time import parse_range
from gateway.errors import InvalidSearch, Issue
from gateway.jsonio import Json
from gateway.search.filters import parameter_clause
from gateway.search.model import Clause, ParsedParameter, SearchParameter
from gateway.search.paging import Cursor, decode_cursor, encode_cursor
from gateway.search.parameters import parameters_of
from gateway.search.paths import all_of, any_of
from gateway.search.request import page_size
from gateway.services import resources
from gateway.services.access import current
from gateway.services.bundles import searchset_bundle
from gateway.services.compartments import Ids, member_types, membership
from gateway.services.context import Services
from gateway.services.search import StoreResolver
from gateway.store.collection import Document
from gateway.store.repository import ResourceStore
from mappers.outcome import operation_outcome

PATIENT = "Patient"
OPERATION = "http://hl7.org/fhir/OperationDefinition/Patient-everything"
# The R4 date parameter that says when the care a resource records happened, per type of the
# Patient compartment (search-parameters.json: each is a date parameter of its type).
CARE_DATES: dict[str, str] = {
    "Account": "period",
    "AdverseEvent": "date",
    "AllergyIntolerance": "date",
    "Appointment": "date",
    "AuditEvent": "date",
    "Basic": "created",
    "CarePlan": "date",
    "CareTeam": "date",
    "ChargeItem": "occurrence",
    "Claim": "created",
    "ClaimResponse": "created",
    "ClinicalImpression": "date",
    "Communication": "sent",
    "CommunicationRequest": "occurrence",
    "Composition": "date",
    "Condition": "onset-date",
    "Consent": "date",
    "CoverageEligibilityRequest": "created",
    "CoverageEligibilityResponse": "created",
    "DetectedIssue": "identified",
    "DeviceRequest": "event-date",
    "DiagnosticReport": "date",
    "DocumentManifest": "created",
    "DocumentReference": "period",
    "Encounter": "date",
    "EpisodeOfCare": "date",
    "ExplanationOfBenefit": "created",
    "FamilyMemberHistory": "date",
    "Flag": "date",
    "Goal": "start-date",
    "ImagingStudy": "started",
    "Immunization": "date",
    "ImmunizationEvaluation": "date",
    "ImmunizationRecommendation": "date",
    "Invoice": "date",
    "List": "date",
    "MeasureReport": "date",
    "Media": "created",
    "MedicationAdministration": "effective-time",
    "MedicationDispense": "whenhandedover",
    "MedicationRequest": "authoredon",
    "MedicationStatement": "effective",
    "NutritionOrder": "datetime",
    "Observation": "date",
    "Procedure": "date",
    "Provenance": "when",
    "QuestionnaireResponse": "authored",
    "RequestGroup": "authored",
    "ResearchSubject": "date",
    "RiskAssessment": "date",
    "Schedule": "date",
    "ServiceRequest": "occurrence",
    "Specimen": "collected",
    "SupplyRequest": "date",
    "VisionPrescription": "datewritten",
}


@dataclass(frozen=True, slots=True)
class EverythingRequest:
    patient_id: str | None  # None: `Patient/$everything`
    count: int
    types: tuple[str, ...] | None = None  # `_type`
    since: str | None = None
    start: str | None = None
    end: str | None = None
    cursor: str | None = None
    ignored: tuple[str, ...] = ()  # parameters the operation does not define

    @property
    def path(self) -> str:
        """The operation's path below the base, for links."""
        if self.patient_id is None:
            return "Patient/$everything"
        return f"Patient/{self.patient_id}/$everything"

    def query(self, cursor: str | None = None) -> str:
        """The operation's parameters as a query string for links."""
        items = [("_type", ",".join(self.types))] if self.types else []
        dates = (("_since", self.since), ("start", self.start), ("end", self.end))
        items += [(name, value) for name, value in dates if value]
        items.append(("_count", str(self.count)))
        if cursor:
            items.append(("_cursor", cursor))
        return urlencode(items, safe=":,")


_OWN = ("_type", "_since", "start", "end", "_count", "_cursor")
_GENERAL = ("_format", "_pretty")  # the HTTP layer's (http.html#parameters)


def parse(
    items: Iterable[tuple[str, str]],
    *,
    patient_id: str | None,
    default_count: int,
    max_count: int,
    kept: Iterable[str],
    strict: bool = False,
) -> EverythingRequest:
    """The operation's parameters. `_type` may repeat (its lists are joined); the others count
    once, the last one. Others are ignored and reported, or refused when `strict` (`Prefer:
    handling=strict`, search.html#errors)."""
    given: dict[str, str] = {}
    types: list[str] = []
    ignored: list[str] = []
    for name, value in items:
        if name == "_type":
            types += [t for t in value.split(",") if t]
        elif name in _OWN:
            given[name] = value
        elif name not in _GENERAL:
            ignored.append(name)
    if strict and ignored:
        raise InvalidSearch(
            f"Unknown parameter `{ignored[0]}` for $everything.", expression=ignored[0]
        )
    for name in ("_since", "start", "end"):
        if name in given:
            _check_date(name, given[name])
    return EverythingRequest(
        patient_id=patient_id,
        count=page_size(given.get("_count"), default=default_count, maximum=max_count),
        types=_check_types(types, frozenset(kept)) if types else None,
        since=given.get("_since"),
        start=given.get("start"),
        end=given.get("end"),
        cursor=given.get("_cursor"),
        ignored=tuple(dict.fromkeys(ignored)),
    )


def _check_date(name: str, value: str) -> None:
    try:
        parse_range(value, allow_minutes=True)
    except ValueError:
        raise InvalidSearch(
            f"`{name}` `{value}` is not a FHIR date, dateTime or instant.", expression=name
        ) from None


def _check_types(types: list[str], kept: frozenset[str]) -> tuple[str, ...]:
    unknown = [t for t in types if t not in kept]
    if unknown:
        raise InvalidSearch(
            f"`_type` names types this server does not keep: {', '.join(unknown)}.",
            expression="_type",
        )
    return tuple(dict.fromkeys(types))


def visible_patients(patient_id: str | None) -> Ids:
    """The patients whose compartments the operation reads: the one named, or any (None).
    What the caller may see of them is each type's "s" clause (module docstring)."""
    return None if patient_id is None else (patient_id,)


async def everything(services: Services, request: EverythingRequest, *, base: str) -> Json:
    access = current()
    if request.patient_id is not None and (
        access.unrestricted or access.grant.restrictions("s", PATIENT).unrestricted
    ):
        await resources.fetch(services.store(PATIENT), request.patient_id)  # 404, 410
    patients = visible_patients(request.patient_id)
    types = await _held_types(services, request)
    if not access.unrestricted:
        types = [t for t in types if access.allows("s", t)]
    resolver = StoreResolver(services, (base,))
    queries = {
        t: all_of([_query(t, patients, request, base), await access.clause("s", t, resolver) or {}])
        for t in types
    }
    cursor = decode_cursor(request.cursor, fields=2) if request.cursor else None
    total = cursor.total if cursor and cursor.total is not None else None
    if total is None:
        total = sum([await services.store(t).count(q) for t, q in queries.items()])
    page, last = (
        await _page(services, queries, request.count, cursor) if request.count else ([], None)
    )
    links = _links(request, base, None if last is None else Cursor(last, False, total))
    return searchset_bundle(
        matches=page, included=[], total=total, links=links, base=base, outcome=_warning(request)
    )


def _warning(request: EverythingRequest) -> Json | None:
    if not request.ignored:
        return None
    names = ", ".join(f"`{name}`" for name in request.ignored)
    text = (
        f"Ignored parameters $everything does not define: {names} (send `Prefer: "
        "handling=strict` to get an error instead)."
    )
    return operation_outcome([Issue(text, code="not-supported", severity="warning")])


def _links(request: EverythingRequest, base: str, following: Cursor | None) -> dict[str, str]:
    link = f"{base}/{request.path}?"
    links = {"self": link + request.query(request.cursor), "first": link + request.query()}
    if following is not None:
        links["next"] = link + request.query(encode_cursor(following))
    return links


async def _held_types(services: Services, request: EverythingRequest) -> list[str]:
    members = member_types(PATIENT, services)
    wanted = [t for t in members if request.types is None or t in request.types]
    return await services.storage.holding(sorted(wanted, key=lambda t: (t != PATIENT, t)))


def _query(resource_type: str, patients: Ids, request: EverythingRequest, base: str) -> Clause:
    """Membership and the operation's filters, for one type."""
    clauses = [membership(PATIENT, patients, resource_type, base_urls=(base,))]
    known = parameters_of(resource_type)
    if request.since:
        clauses.append(_date(known["_lastUpdated"], f"ge{request.since}"))
    care = known.get(CARE_DATES.get(resource_type, ""))
    if care is not None and care.type == "date" and (request.start or request.end):
        bounds = (("ge", request.start), ("le", request.end))
        window = [_date(care, prefix + value) for prefix, value in bounds if value]
        undated = parameter_clause(care, ParsedParameter(care.code, ("true",), "missing"))
        clauses.append(any_of([all_of(window), undated]))
    return all_of(clauses)


def _date(parameter: SearchParameter, value: str) -> Clause:
    return parameter_clause(parameter, ParsedParameter(parameter.code, (value,)))


async def _page(
    services: Services, queries: dict[str, Clause], count: int, cursor: Cursor | None
) -> tuple[list[Json], tuple[str, str] | None]:
    """Up to `count` resources from the cursor on, and the (type, id) to continue after when
    more follow. Each type visited reads at most what the page has room for, plus one."""
    types = list(queries)
    first, after = _start(types, cursor)
    page: list[Json] = []
    last: tuple[str, str] | None = None
    for resource_type in types[first:]:
        store = services.store(resource_type)
        room = count - len(page)
        documents = await _fetch(store, queries[resource_type], after, limit=room + 1)
        after = None
        page += _resources(store, documents[:room])
        if documents[:room]:
            last = (resource_type, documents[:room][-1]["_id"])
        if len(documents) > room:
            return page, last
    return page, None


def _start(types: Sequence[str], cursor: Cursor | None) -> tuple[int, str | None]:
    if cursor is None:
        return 0, None
    resource_type, last_id = cursor.values
    if resource_type not in types or not isinstance(last_id, str):
        raise InvalidSearch(
            "The `_cursor` is not one this server issued for this operation.",
            expression="_cursor",
        )
    return types.index(resource_type), last_id


async def _fetch(
    store: ResourceStore, query: Clause, after: str | None, *, limit: int
) -> list[Document]:
    return await store.fetch(
        query, sort=[("_id", 1)], limit=limit, after=None if after is None else (after,)
    )


def _resources(store: ResourceStore, documents: list[Document]) -> list[Json]:
    versions = [store.to_version(document) for document in documents]
    served = [version.resource for version in versions if version.resource is not None]
    access = current()
    if access.unrestricted:
        return served
    return [resource for resource in served if access.may("s", resource)]  # belt and braces
