"""Terminology errors: what the gateway does not hold or cannot enumerate, as 400s.

A value set or system the gateway does not hold is a client's 400 (issue 11: "a 400 saying so");
the diagnostics always name the canonical URL so the client can tell which one.
"""

from __future__ import annotations

from gateway.errors import InvalidRequest


class UnknownValueSet(InvalidRequest):
    issue_code = "not-found"

    def __init__(self, url: str, reason: str = "is not held by this server") -> None:
        super().__init__(f"ValueSet `{url}` {reason}.", code="MSG_NO_EXIST")
        self.url = url


class UnknownCodeSystem(InvalidRequest):
    issue_code = "not-found"

    def __init__(self, url: str, reason: str = "is not held by this server") -> None:
        super().__init__(f"CodeSystem `{url}` {reason}.", code="MSG_NO_EXIST")
        self.url = url


class UnknownConceptMap(InvalidRequest):
    issue_code = "not-found"

    def __init__(self, url: str) -> None:
        super().__init__(f"ConceptMap `{url}` is not held by this server.", code="MSG_NO_EXIST")
        self.url = url


class UnknownCode(InvalidRequest):
    """A code asked about ($lookup) that its held CodeSystem does not define."""

    issue_code = "code-invalid"

    def __init__(self, system: str, code: str) -> None:
        super().__init__(f"Code `{code}` is not defined in CodeSystem `{system}`.")


class NotEnumerable(InvalidRequest):
    """The value set is held but its codes cannot be listed here (a filter on SNOMED CT, all
    of LOINC): valueset.html#expansion lets a server refuse what it cannot expand."""

    issue_code = "too-costly"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"ValueSet `{url}` cannot be expanded here: {reason}.")
        self.url, self.reason = url, reason


class ExpansionTooLarge(InvalidRequest):
    issue_code = "too-costly"

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"ValueSet `{url}` has more than {limit} codes, the expansion limit.")
        self.url, self.limit = url, limit


class TerminologyUnavailable(InvalidRequest):
    """The external terminology server could not answer (down, timed out, malformed reply).

    400, not 502: the gateway is the server the client asked, and R4 answers a search it cannot
    process with a 400 (search.html#errors); `transient` tells the client a retry may succeed.
    """

    issue_code = "transient"

    def __init__(self, server: str, cause: str) -> None:
        super().__init__(f"Terminology server `{server}` could not answer: {cause}.")
