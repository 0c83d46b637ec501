"""The grant table: each token's scopes and claims, and what it permits, written by hand.

`rules` is the oracle's model of a grant, written from the SMART App Launch v2 text
(scopes-and-launch-context), NOT computed by gateway.auth: a `patient/` scope is confined to the
`patient` claim's compartment and grants nothing without one; `read` = `rs`, `write` = `cud`,
`*` = `cruds`; a v2 query restriction limits its own scope; non-resource scopes (`openid`,
`fhirUser`) grant nothing. `*` never covers AuditEvent (only `system/AuditEvent.*` does).
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.auth.matrix.world import A, Facts

ALL = "*"


@dataclass(frozen=True, slots=True)
class Rule:
    """One allowing scope: letters on a type, perhaps confined to a patient and a category."""

    resource_type: str  # a type or ALL
    letters: str  # subset of "cruds"
    patient: str | None = None
    category: str | None = None

    def covers(self, letter: str, resource_type: str) -> bool:
        if letter not in self.letters:
            return False
        if self.resource_type == ALL:
            return resource_type != "AuditEvent"
        return self.resource_type == resource_type

    def permits(self, letter: str, facts: Facts) -> bool:
        if not self.covers(letter, facts.resource_type):
            return False
        if self.patient is not None and facts.owner != self.patient:
            return False
        return self.category is None or facts.category == self.category


@dataclass(frozen=True, slots=True)
class GrantRow:
    id: str
    scope: str
    patient: str | None
    rules: tuple[Rule, ...]

    @property
    def context(self) -> str:
        contexts = {s.split("/")[0] for s in self.scope.split() if "/" in s}
        return contexts.pop() if len(contexts) == 1 else "none"

    def allows(self, letter: str, resource_type: str) -> bool:
        """Some scope covers the interaction on the type (perhaps met by nothing)."""
        return any(rule.covers(letter, resource_type) for rule in self.rules)

    def permits(self, letter: str, facts: Facts) -> bool:
        return any(rule.permits(letter, facts) for rule in self.rules)

    def searches_anything(self) -> bool:
        return any("s" in rule.letters for rule in self.rules)

    @property
    def claims(self) -> dict[str, str]:
        claims = {"scope": self.scope}
        if self.patient is not None:
            claims["patient"] = self.patient
        return claims


def _row(id: str, scope: str, patient: str | None, *rules: Rule) -> GrantRow:
    return GrantRow(id, scope, patient, rules)


OBS = "Observation"
GRANTS: tuple[GrantRow, ...] = (
    _row("patient-all-read-v1", "patient/*.read", A, Rule(ALL, "rs", A)),
    _row("patient-all-rs-v2", "patient/*.rs", A, Rule(ALL, "rs", A)),
    _row("patient-obs-rs-v2", "patient/Observation.rs", A, Rule(OBS, "rs", A)),
    _row("patient-obs-read-v1", "patient/Observation.read", A, Rule(OBS, "rs", A)),
    _row("patient-obs-lab-v2", "patient/Observation.rs?category=laboratory", A,
         Rule(OBS, "rs", A, "laboratory")),
    _row("patient-obs-read-no-patient", "patient/Observation.read", None),
    _row("patient-all-cruds-v2", "patient/*.cruds", A, Rule(ALL, "cruds", A)),
    _row("patient-all-star-v1", "patient/*.*", A, Rule(ALL, "cruds", A)),
    _row("patient-obs-lab-crus-v2", "patient/Observation.crus?category=laboratory", A,
         Rule(OBS, "crus", A, "laboratory")),
    _row("patient-all-read-unknown-patient", "patient/*.read", "pat-z", Rule(ALL, "rs", "pat-z")),
    _row("patient-all-write-v1", "patient/*.write", A, Rule(ALL, "cud", A)),
    _row("user-all-read-v1", "user/*.read", None, Rule(ALL, "rs")),
    _row("user-all-rs-v2", "user/*.rs", None, Rule(ALL, "rs")),
    _row("user-obs-rs-v2", "user/Observation.rs", None, Rule(OBS, "rs")),
    _row("user-obs-read-v1", "user/Observation.read", None, Rule(OBS, "rs")),
    _row("user-all-cruds-v2", "user/*.cruds", None, Rule(ALL, "cruds")),
    _row("user-all-write-v1", "user/*.write user/*.read", None, Rule(ALL, "cruds")),
    _row("system-all-read-v1", "system/*.read", None, Rule(ALL, "rs")),
    _row("system-all-rs-v2", "system/*.rs", None, Rule(ALL, "rs")),
    _row("system-obs-vital-v2", "system/Observation.rs?category=vital-signs", None,
         Rule(OBS, "rs", None, "vital-signs")),
    _row("system-all-star-v1", "system/*.*", None, Rule(ALL, "cruds")),
    _row("system-all-cud-v2", "system/*.cud", None, Rule(ALL, "cud")),
    _row("system-all-write-v1", "system/*.write", None, Rule(ALL, "cud")),
    _row("patient-patient-rs-v2", "patient/Patient.rs", A, Rule("Patient", "rs", A)),
    _row("user-patient-rs-v2", "user/Patient.rs", None, Rule("Patient", "rs")),
    _row("system-all-rs-with-patient-claim", "system/*.rs", A, Rule(ALL, "rs")),
    _row("openid-fhiruser", "openid fhirUser", None),
    _row("user-obs-rs-with-patient-claim", "user/Observation.rs patient/Patient.rs", A,
         Rule(OBS, "rs"), Rule("Patient", "rs", A)),
)  # fmt: skip

ADMIN = _row("admin", "system/*.*", None, Rule(ALL, "cruds"))
WRITERS = tuple(g for g in GRANTS if any(set("cud") & set(r.letters) for r in g.rules))
