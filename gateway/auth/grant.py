"""What an access token allows: its scopes with its launch context, and the checks on them.

https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html. A `Grant` answers two
questions for the wiring: may this token do interaction X on type T at all (`allows`, for the
401/403 decision before any I/O), and if so, limited to what (`restrictions`: turned into search
clauses by the caller, or checked on a concrete resource with `permits`).

Rules, each on the side of granting less:
- Scopes add up: an interaction is allowed when ANY scope of any context covers it; its
  restriction is the OR of the allowing scopes' conditions, and one unrestricted allowing scope
  makes the whole unrestricted.
- A `patient/` scope is confined to the compartment of the token's `patient` claim. SMART says a
  server granting patient-level scopes SHALL provide the `patient` launch context (App Launch
  1.0 scopes-and-launch-context; v2 keeps patient scopes "for the current patient"); a
  `patient/` scope in a token WITHOUT a `patient` claim has no patient to be confined to, so it
  grants nothing (rather than everything).
- A confined condition is met only by members of the compartment, so a `patient/` scope on a
  type the Patient compartment does not list (Medication, Practitioner, Organization...) is
  allowed (`allows`) yet met by no resource (`permits`): the wiring decides whether such reads
  answer empty or fall back to a `user/` scope; nothing outside the compartment leaks.
- `user/` and `system/` scopes are never patient-confined; what the user may see beyond that is
  the identity provider's business (SMART: "limited based on the privileges of the user").
- A v2 query restriction (`?category=laboratory`) limits its own scope only; the pairs within
  one scope all hold together (AND), separate scopes are alternatives (OR).
- The audit trail (AuditEvent) is covered only by a `system/` scope naming it: never by `*`,
  never by a `patient/` or `user/` scope (gateway.auth.scopes.AUDIT_TYPES says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.auth.compartment import in_patient_compartment
from gateway.auth.queries import Query, meets
from gateway.auth.scopes import ALL_INTERACTIONS, AUDIT_TYPES, Interaction, Scope, parse_scopes
from gateway.jsonio import Json


@dataclass(frozen=True, slots=True)
class Condition:
    """One way an interaction is allowed: inside a patient's compartment and/or a query."""

    patient: str | None = None  # confined to the compartment of Patient/{patient}
    query: Query = ()  # v2 restriction; every pair must hold

    @property
    def unrestricted(self) -> bool:
        return self.patient is None and not self.query

    def subsumes(self, other: Condition) -> bool:
        """Every resource meeting `other` meets this one too (so `other` adds nothing)."""
        return self.patient in (None, other.patient) and set(self.query) <= set(other.query)

    def met_by(self, resource: Json, *, base_urls: tuple[str, ...] = ()) -> bool:
        if self.patient is not None and not in_patient_compartment(
            resource, self.patient, base_urls=base_urls
        ):
            return False
        return meets(resource, self.query)


@dataclass(frozen=True, slots=True)
class Restriction:
    """What an (interaction, type) is limited to: any one of `alternatives` suffices.

    No alternative: not allowed. One `Condition()`: unrestricted. Otherwise each alternative is
    confined to the grant's patient and/or a query; none subsumes another.
    """

    alternatives: tuple[Condition, ...] = ()

    @property
    def allowed(self) -> bool:
        return bool(self.alternatives)

    @property
    def unrestricted(self) -> bool:
        return any(condition.unrestricted for condition in self.alternatives)

    @property
    def patient(self) -> str | None:
        """The patient every alternative is confined to, if all are confined (to the one patient
        a grant can name): the wiring may then add one compartment clause to a search."""
        patients = {condition.patient for condition in self.alternatives}
        return next(iter(patients)) if len(patients) == 1 else None

    def met_by(self, resource: Json, *, base_urls: tuple[str, ...] = ()) -> bool:
        """`resource` meets at least one alternative (False when nothing is allowed)."""
        return any(c.met_by(resource, base_urls=base_urls) for c in self.alternatives)


DENIED = Restriction()
UNRESTRICTED = Restriction((Condition(),))


@dataclass(frozen=True, slots=True)
class Grant:
    """An access token's authorization, decoded: its resource scopes and launch context."""

    scopes: tuple[Scope, ...]
    patient: str | None = None  # the `patient` launch context: confines every patient/ scope
    client_id: str | None = None
    subject: str | None = None  # `sub`
    fhir_user: str | None = None  # `fhirUser`, e.g. Practitioner/123: carried into the audit
    # Answers of `restrictions`, by (interaction, type): a grant is immutable and lives as long
    # as its token in the authenticator's cache, and every request asks it several times.
    _answers: dict[tuple[str, str], Restriction] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def allows(self, interaction: Interaction, resource_type: str) -> bool:
        """Some scope allows `interaction` on `resource_type` (a concrete R4 type), perhaps
        restricted; a `patient/` scope counts only with a `patient` claim."""
        return self.restrictions(interaction, resource_type).allowed

    def restrictions(self, interaction: Interaction, resource_type: str) -> Restriction:
        """What `interaction` on `resource_type` is limited to under this grant."""
        key = (interaction, resource_type)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._restrictions(interaction, resource_type)
        return answer

    def _restrictions(self, interaction: Interaction, resource_type: str) -> Restriction:
        conditions: list[Condition] = []
        for scope in self.scopes:
            if not scope.covers(interaction, resource_type):
                continue
            if scope.context == "patient":
                if self.patient is None:
                    continue  # no patient to confine it to: grants nothing
                conditions.append(Condition(self.patient, scope.query))
            else:
                conditions.append(Condition(None, scope.query))
        return _simplest(conditions)


def _simplest(conditions: list[Condition]) -> Restriction:
    """The conditions less those another one subsumes (one of equivalent ones kept)."""
    kept: list[Condition] = []
    for condition in conditions:
        if any(k.subsumes(condition) for k in kept):
            continue
        kept = [k for k in kept if not condition.subsumes(k)]
        kept.append(condition)
    return Restriction(tuple(kept))


# AUTH_MODE=off and the CLI: every type, the audit trail named explicitly (`*` never covers it,
# gateway.auth.scopes.AUDIT_TYPES): with authorization off there is no one to tell apart, and
# the operator at the command line is the system itself. Writes of AuditEvents are refused by
# their store (405) whatever the grant.
GRANT_ALL = Grant(
    scopes=(
        Scope("system", "*", ALL_INTERACTIONS),
        *(Scope("system", t, ALL_INTERACTIONS) for t in sorted(AUDIT_TYPES)),
    )
)


def permits(
    grant: Grant, interaction: Interaction, resource: Json, *, base_urls: tuple[str, ...] = ()
) -> bool:
    """`grant` allows `interaction` on this concrete resource: its type is allowed and the
    resource meets the restriction (compartment, query). `base_urls`: this server's bases, so
    an absolute reference to `{base}/Patient/{id}` counts for the compartment."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        return False
    restriction = grant.restrictions(interaction, resource_type)
    return restriction.met_by(resource, base_urls=base_urls)


def grant_from_claims(claims: Mapping[str, Any]) -> Grant:
    """The grant of a verified token's claims: `scope` (a space-separated string, or the `scp`
    list some providers send instead), `patient`, `client_id` (or `azp`), `sub`, `fhirUser`.

    A claim of the wrong JSON type is treated as absent, which never widens access: without
    scopes nothing is granted, without `patient` no `patient/` scope counts.
    """
    return Grant(
        scopes=parse_scopes(_scope_text(claims)),
        patient=_string(claims, "patient"),
        client_id=_string(claims, "client_id") or _string(claims, "azp"),
        subject=_string(claims, "sub"),
        fhir_user=_string(claims, "fhirUser"),
    )


def _scope_text(claims: Mapping[str, Any]) -> str:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope
    scp = claims.get("scp")
    if isinstance(scp, str):
        return scp
    if isinstance(scp, list):
        return " ".join(item for item in scp if isinstance(item, str))
    return ""


def _string(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None
