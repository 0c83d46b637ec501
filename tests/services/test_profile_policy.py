"""The write policy over stand-in profiles: which profiles apply to a resource, what an unknown
claim gives, how the setting is read and refused, and that findings come errors first, once."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from gateway.conformance import profile
from gateway.demo import generate
from gateway.errors import Issue
from gateway.jsonio import Json
from gateway.services import profiles
from gateway.services.profiles import InvalidSetting, ProfilePolicy, distinct, selected
from gateway.settings import Settings

BP = "http://hl7.org/fhir/StructureDefinition/bp"
WEIGHT = "http://hl7.org/fhir/StructureDefinition/bodyweight"
PATIENT_PROFILE = "http://example.org/StructureDefinition/my-patient"


@dataclass
class FakeProfile:
    """A profile that finds `findings` in whatever it selects, and records what it checked."""

    url: str
    type: str
    selects_code: str | None = None
    findings: list[Issue] = field(default_factory=list)
    checked: list[Json] = field(default_factory=list)
    selections: int = 0

    def validate(self, resource: Json, terminology: object = None) -> list[Issue]:
        self.checked.append(resource)
        return list(self.findings)

    def selects(self, resource: Json) -> bool:
        self.selections += 1
        codes = [c.get("code") for c in resource.get("code", {}).get("coding", [])]
        return self.selects_code is None or self.selects_code in codes


def error(text: str, path: str = "Observation.component") -> Issue:
    return Issue(text, code="structure", expression=path, details_code=text)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeProfile]:
    """The profiles the gateway holds, by URL (url|version too), instead of the engine's."""
    found: dict[str, FakeProfile] = {}
    for name in profiles.VITAL_SIGNS_FAMILY:
        found[name] = FakeProfile(name, "Observation", selects_code=name.rsplit("/", 1)[-1])
    found[BP].selects_code = "85354-9"
    found[PATIENT_PROFILE] = FakeProfile(PATIENT_PROFILE, "Patient")
    found[f"{BP}|4.0.1"] = found[BP]
    lookup: Callable[[str], FakeProfile | None] = found.get
    monkeypatch.setattr(profiles, "profile", lookup)
    monkeypatch.setattr(profiles, "_terminology", lambda url: None)
    return found


def observation(code: str = "85354-9", *claims: str) -> Json:
    resource: Json = {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": code}]}}  # fmt: skip
    if claims:
        resource["meta"] = {"profile": list(claims)}
    return resource


def test_a_claimed_profile_is_checked(held: dict[str, FakeProfile]) -> None:
    held[BP].findings = [error("Observation.component:SystolicBP")]
    issues = ProfilePolicy().issues(observation("85354-9", BP))
    assert issues == [error("Observation.component:SystolicBP")]


def test_a_versioned_claim_is_checked(held: dict[str, FakeProfile]) -> None:
    ProfilePolicy().issues(observation("85354-9", f"{BP}|4.0.1"))
    assert len(held[BP].checked) == 1


def test_an_unknown_claim_is_a_warning_by_default(held: dict[str, FakeProfile]) -> None:
    issues = ProfilePolicy().issues(observation("1", "http://example.org/nope"))
    assert [(i.severity, i.code, i.expression, i.details_code) for i in issues] == [
        ("warning", "not-supported", "Observation.meta.profile[0]", "unknown-profile")
    ]
    assert "`http://example.org/nope`" in issues[0].diagnostics


def test_an_unknown_claim_is_an_error_when_the_setting_says_so(
    held: dict[str, FakeProfile],
) -> None:
    issues = ProfilePolicy(unknown="error").issues(observation("1", BP, "http://example.org/x"))
    assert [(i.severity, i.expression) for i in issues] == [
        ("error", "Observation.meta.profile[1]")
    ]


def test_a_required_profile_applies_only_where_it_selects(held: dict[str, FakeProfile]) -> None:
    policy = ProfilePolicy(required=(("Observation", (BP,)),))
    policy.issues(observation("29463-7"))
    assert held[BP].checked == []
    policy.issues(observation("85354-9"))
    assert len(held[BP].checked) == 1


def test_a_profile_both_claimed_and_required_is_checked_once(
    held: dict[str, FakeProfile],
) -> None:
    ProfilePolicy(required=(("Observation", (BP,)),)).issues(observation("85354-9", BP))
    assert len(held[BP].checked) == 1


def test_a_profile_a_checked_one_constrains_is_not_checked_again(
    held: dict[str, FakeProfile],
) -> None:
    """bp constrains vitalsigns: its snapshot holds vitalsigns' rules."""
    vitalsigns = held[f"{profiles.SD}/vitalsigns"]
    vitalsigns.selects_code = None  # selects every Observation, as the category would
    family = ProfilePolicy.from_settings(
        Settings(required_profiles={"Observation": ["vital-signs"]})
    )
    family.issues(observation("85354-9", BP))
    family.issues(observation("85354-9"))
    assert (len(held[BP].checked), vitalsigns.checked) == (2, [])
    family.issues(observation("2345-7"))
    assert len(vitalsigns.checked) == 1


def test_a_profile_of_another_type_is_an_error(held: dict[str, FakeProfile]) -> None:
    issues = ProfilePolicy().issues(observation("1", PATIENT_PROFILE))
    assert [(i.severity, i.details_code) for i in issues] == [("error", "profile-type-mismatch")]
    assert held[PATIENT_PROFILE].checked == []


def test_also_profiles_apply_whether_or_not_they_select(held: dict[str, FakeProfile]) -> None:
    ProfilePolicy().issues(observation("29463-7"), also=(BP,))
    assert len(held[BP].checked) == 1


def test_findings_come_errors_first_and_once(held: dict[str, FakeProfile]) -> None:
    warning = Issue("w", code="value", severity="warning", expression="Observation.code")
    held[BP].findings = [warning, error("vs-3")]
    held[f"{profiles.VITAL_SIGNS_FAMILY[0]}"].findings = [error("vs-3")]
    issues = ProfilePolicy().issues(observation("85354-9", BP, profiles.VITAL_SIGNS_FAMILY[0]))
    assert issues == [error("vs-3"), warning]


def test_the_keyword_stands_for_the_vital_signs_family(held: dict[str, FakeProfile]) -> None:
    settings = Settings(required_profiles={"Observation": ["vital-signs", BP]})
    policy = ProfilePolicy.from_settings(settings)
    ((resource_type, urls),) = policy.required
    assert resource_type == "Observation"
    assert sorted(urls) == sorted(profiles.VITAL_SIGNS_FAMILY)
    assert urls[-1] == f"{profiles.SD}/vitalsigns"  # after the profiles that constrain it


def test_the_setting_is_read_from_the_environment_as_json(
    held: dict[str, FakeProfile], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRED_PROFILES", f'{{"Observation": ["{WEIGHT}"]}}')
    monkeypatch.setenv("UNKNOWN_PROFILE", "error")
    policy = ProfilePolicy.from_settings(Settings())
    assert (policy.unknown, policy.required) == ("error", (("Observation", (WEIGHT,)),))


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        pytest.param({"Observation": ["http://example.org/typo"]}, "http://example.org/typo",
                     id="not-held"),
        pytest.param({"Patient": [BP]}, "profiles Observation", id="other-type"),
        pytest.param({"Observation": ["vital-sign"]}, "`vital-sign`", id="misspelt-keyword"),
    ],
)  # fmt: skip
def test_a_setting_the_gateway_cannot_honour_stops_the_start(
    held: dict[str, FakeProfile], setting: dict[str, list[str]], named: str
) -> None:
    with pytest.raises(InvalidSetting, match="REQUIRED_PROFILES") as raised:
        ProfilePolicy.from_settings(Settings(required_profiles=setting))
    assert named in str(raised.value)


def test_the_policy_travels_to_import_workers() -> None:
    policy = ProfilePolicy("error", (("Observation", (BP,)),), "http://tx.example/fhir")
    assert pickle.loads(pickle.dumps(policy)) == policy


def test_distinct_keeps_the_first_of_each_finding() -> None:
    first = Issue("a (profile x)", code="invariant", expression="Observation", details_code="obs-6")
    again = Issue("a (profile y)", code="invariant", expression="Observation", details_code="obs-6")
    other = Issue(
        "b", code="invariant", expression="Observation.component[0]", details_code="obs-6"
    )
    assert distinct([first, again, other]) == [first, other]


def test_selection_is_remembered_per_profile_and_code() -> None:
    bp = FakeProfile(BP, "Observation", selects_code="85354-9")
    assert selected(bp, observation("85354-9")) is True  # type: ignore[arg-type]
    assert selected(bp, {**observation("85354-9"), "status": "amended"}) is True  # type: ignore[arg-type]
    assert bp.selections == 1
    assert selected(bp, observation("29463-7")) is False  # type: ignore[arg-type]
    other = FakeProfile(BP, "Observation", selects_code="29463-7")
    assert selected(other, observation("29463-7")) is True  # type: ignore[arg-type]
    assert (bp.selections, other.selections) == (2, 1)


def test_the_required_profiles_selecting_a_record_are_remembered_per_profile(
    held: dict[str, FakeProfile],
) -> None:
    """One look-up per record for all required profiles; a profile replaced (another object
    under the same URL) is asked again."""
    urls = (BP, f"{profiles.SD}/bodyweight")
    assert profiles.selecting(urls, observation("85354-9")) == {BP}
    assert profiles.selecting(urls, {**observation("85354-9"), "status": "amended"}) == {BP}
    assert held[BP].selections == 1
    held[BP] = FakeProfile(BP, "Observation", selects_code="29463-7")
    assert profiles.selecting(urls, observation("85354-9")) == frozenset()
    assert profiles.selecting(urls, observation("29463-7")) == {BP}


def test_remembered_selection_agrees_with_the_engine() -> None:
    """Over the demo data (vitals, labs, wearables), for each vital signs profile."""
    for url in profiles.VITAL_SIGNS_FAMILY:
        held = profile(url)
        assert held is not None
        for resource in generate(patients=2):
            assert selected(held, resource) == held.selects(resource), (url, resource.get("code"))
