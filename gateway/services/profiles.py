"""Which profiles a written resource is checked against, and what a finding does to the write.

https://hl7.org/fhir/R4/profiling.html#profile-uses: a resource claims profiles in
`meta.profile`; the server checks each it holds (a `url|version` claim too), and each profile
the `required_profiles` setting names for the type and that selects the resource (a required bp
applies to an Observation coded 85354-9, vitalsigns to one in the vital-signs category). A claim
the server does not hold is a warning, or an error with `unknown_profile=error`
(http.html#create: a server "may reject" what violates "applicable FHIR profiles").

The policy is plain data, so the import's worker processes get the same one (pickled with
each batch); the compiled profiles and the terminology source are cached per process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from fhir_profiles.canonical import held
from gateway.conformance import Profile, base_profile, profile
from gateway.errors import Issue
from gateway.jsonio import Json, dumps
from gateway.settings import Settings
from gateway.terminology import TerminologySource, source_for
from mappers.outcome import GATEWAY_OUTCOMES

VITAL_SIGNS = "vital-signs"  # the keyword of required_profiles for R4's vital signs family
SD = "http://hl7.org/fhir/StructureDefinition"
VITAL_SIGNS_FAMILY = tuple(
    f"{SD}/{name}"
    for name in ("vitalsigns", "bp", "bodyweight", "bodyheight", "bodytemp", "heartrate",
                 "oxygensat", "resprate", "bmi", "headcircum")
)  # fmt: skip
_RANK = {"fatal": 0, "error": 1, "warning": 2, "information": 3}
_SELECTIONS: dict[tuple[int, bytes], tuple[Profile, bool]] = {}  # see `selected`
_SELECTIONS_KEPT = 10_000
_CHOSEN: dict[tuple[tuple[int, ...], bytes], tuple[tuple[Profile | None, ...], frozenset[str]]] = {}


class InvalidSetting(ValueError):
    """A profile setting the gateway cannot honour; raised at start, before anything is served."""


@dataclass(frozen=True, slots=True)
class ProfilePolicy:
    """`required`: (resource type, canonical URLs) pairs, each URL held and of that type."""

    unknown: Literal["warning", "error"] = "warning"
    required: tuple[tuple[str, tuple[str, ...]], ...] = ()
    terminology_server_url: str | None = None
    # the structural validator (mappers.r4.validate), carried with the policy to import workers
    engine: Literal["compiled", "fhir.resources"] = "compiled"

    @classmethod
    def from_settings(cls, settings: Settings) -> ProfilePolicy:
        required = _required(settings.required_profiles)
        return cls(
            settings.unknown_profile,
            required,
            settings.terminology_server_url,
            settings.validation_engine,
        )

    def issues(
        self, resource: Json, *, also: Iterable[str] = (), base: bool = False
    ) -> list[Issue]:
        """Every finding of the profiles that apply to `resource` (and of the `also` URLs,
        which the caller has checked are held; and with `base`, of R4's definition of its type,
        which any profile checked covers), errors first."""
        found: list[Issue] = []
        claims = self._claims(resource)
        covered: set[str] = set()  # validated, or implied by a profile validated (constrains)
        for url, index in claims:
            checked = profile(url)
            if checked is None:
                found.append(self._unknown(resource, url, index))
            else:
                found += self._validate(checked, resource)
                covered |= {url, *constrained(url)}
        required = self._required_for(str(resource.get("resourceType")))
        chosen = selecting(required, resource) if required else frozenset()
        for url in (*also, *required):
            if url in covered or (url not in also and url not in chosen):
                continue
            checked = profile(url)
            if checked is not None:
                found += self._validate(checked, resource)
                covered |= {url, *constrained(url)}
        core = base_profile(str(resource.get("resourceType"))) if base else None
        if core is not None and core.url not in covered:
            found += self._validate(core, resource)
        return by_severity(distinct(found))

    def terminology(self) -> TerminologySource:
        return _terminology(self.terminology_server_url)

    def _claims(self, resource: Json) -> list[tuple[str, int]]:
        meta = resource.get("meta")  # any JSON: $validate walks structurally invalid ones too
        claims = meta.get("profile") if isinstance(meta, dict) else None
        if not isinstance(claims, list):
            return []
        return [(url, index) for index, url in enumerate(claims) if isinstance(url, str)]

    def _required_for(self, resource_type: str) -> tuple[str, ...]:
        return next((urls for kind, urls in self.required if kind == resource_type), ())

    def _validate(self, checked: Profile, resource: Json) -> list[Issue]:
        resource_type = resource.get("resourceType")
        if checked.type != resource_type:
            text = f"Profile `{checked.url}` is for {checked.type}, not {resource_type}."
            return [Issue(text, code="structure", expression=f"{resource_type}.meta.profile",
                          details_code="profile-type-mismatch", details_system=GATEWAY_OUTCOMES)]  # fmt: skip
        return checked.validate(resource, self.terminology())

    def _unknown(self, resource: Json, url: str, index: int) -> Issue:
        text = (
            f"Profile `{url}` is not held by this server; the resource was not checked against it."
        )
        return Issue(text, code="not-supported", severity=self.unknown,
                     expression=f"{resource.get('resourceType')}.meta.profile[{index}]",
                     details_code="unknown-profile", details_system=GATEWAY_OUTCOMES)  # fmt: skip


@cache
def constrained(url: str) -> frozenset[str]:
    """The profiles `url` constrains, directly or not: a constraint's snapshot holds all of its
    base's rules (profiling.html#snapshot), so a resource that met (or was checked against) bp
    needs no separate check against vitalsigns or R4's Observation."""
    found: set[str] = set()
    definition = held().resolve(url, "StructureDefinition")
    while definition is not None and definition.get("derivation") == "constraint":
        base = definition.get("baseDefinition")
        if not isinstance(base, str) or base in found:
            break
        found.add(base)
        definition = held().resolve(base, "StructureDefinition")
    return frozenset(found)


def selected(checked: Profile, resource: Json, reads: bytes | None = None) -> bool:
    """`checked.selects(resource)`, remembered per profile and per what selection reads: the
    type's code element (the contract: the profile's fixed or pattern value there), else its
    category (the engine's rule, `Profile.selects`). With the vital signs family required,
    selection cost a create more than validation did: ten walks per Observation, for a few
    dozen distinct codes. `reads`: `selection_reads(resource)`, when the caller has it."""
    key = (id(checked), reads if reads is not None else selection_reads(resource))
    known = _SELECTIONS.get(key)
    if known is not None and known[0] is checked:  # `is`: an id outlives its object
        return known[1]
    answer = checked.selects(resource)
    if len(_SELECTIONS) >= _SELECTIONS_KEPT:
        _SELECTIONS.clear()
    _SELECTIONS[key] = (checked, answer)
    return answer


def selecting(urls: tuple[str, ...], resource: Json) -> frozenset[str]:
    """Those of the held profiles `urls` that select `resource`, remembered per what selection
    reads: one look-up per record instead of one per required profile."""
    held = tuple(profile(url) for url in urls)
    key = (tuple(map(id, held)), selection_reads(resource))
    known = _CHOSEN.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], held, strict=True)):
        return known[1]  # `is`: an id outlives its object
    chosen = frozenset(
        url for url, checked in zip(urls, held, strict=True)
        if checked is not None and selected(checked, resource, key[1])
    )  # fmt: skip
    if len(_CHOSEN) >= _SELECTIONS_KEPT:
        _CHOSEN.clear()
    _CHOSEN[key] = (held, chosen)
    return chosen


def selection_reads(resource: Json) -> bytes:
    """What `Profile.selects` reads of a resource (its type, code and category), as JSON."""
    return dumps([resource.get("resourceType"), resource.get("code"), resource.get("category")])


def by_severity(issues: list[Issue]) -> list[Issue]:
    """Errors first, then warnings, then information; the order found within each."""
    return sorted(issues, key=lambda issue: _RANK[issue.severity])


def distinct(issues: Iterable[Issue]) -> list[Issue]:
    """`issues` without repeats, the first kept: a profile's snapshot carries its base's rules,
    so the vital signs profiles and R4's Observation each find an Observation's obs-6 breach."""
    seen: set[object] = set()
    kept = []
    for issue in issues:
        key = (issue.severity, issue.code, issue.expression, issue.details_code)
        if (key if issue.details_code else issue) not in seen:
            seen.add(key if issue.details_code else issue)
            kept.append(issue)
    return kept


def blocking(issues: Iterable[Issue]) -> bool:
    return any(issue.severity in ("fatal", "error") for issue in issues)


def repeats(issue: Issue, structural: list[Issue]) -> bool:
    """Whether a profile's invariant finding is one the structural checks made already: the
    R4 constraints in every profile's snapshot include those `mappers.invariants` evaluates
    (obs-6 and its kin), whose issues name the key at the start of their text."""
    if issue.code != "invariant" or not issue.details_code:
        return False
    key = f"{issue.details_code}:"
    return any(
        s.expression == issue.expression and s.diagnostics.startswith(key) for s in structural
    )


def _required(setting: Mapping[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The setting with the vital-signs keyword expanded, each URL checked held and of its
    type, so that a typo stops the start instead of silently checking nothing."""
    required = []
    for resource_type, names in setting.items():
        urls: list[str] = []
        for name in names:
            for url in VITAL_SIGNS_FAMILY if name == VITAL_SIGNS else (name,):
                _check_required(resource_type, url)
                if url not in urls:
                    urls.append(url)
        # a profile before those it constrains, which it then covers (`constrained`)
        urls.sort(key=lambda url: -len(constrained(url)))
        required.append((resource_type, tuple(urls)))
    return tuple(required)


def _check_required(resource_type: str, url: str) -> None:
    held = profile(url)
    if held is None:
        raise InvalidSetting(
            f"REQUIRED_PROFILES names `{url}` for {resource_type}, a profile this server does "
            f"not hold (the keyword `{VITAL_SIGNS}` stands for R4's vital signs family)."
        )
    if held.type != resource_type:
        raise InvalidSetting(
            f"REQUIRED_PROFILES names `{url}` for {resource_type}, but it profiles {held.type}."
        )


@cache
def _terminology(server_url: str | None) -> TerminologySource:
    return source_for(server_url)
