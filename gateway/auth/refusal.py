"""The authenticator a start builds, or the refusal to start: one step for every way of serving.

`create_app` (uvicorn's factory, tests) and `fhir-gateway serve` (before uvicorn, to exit with
code 2 and the reasons instead of a traceback) both call `authenticator_for`: the rule of
gateway.auth.startup, then the key files actually read (a JWKS that does not parse stops the
start, gateway.auth.keys). Here rather than in either edge, which may not import each other.
"""

from __future__ import annotations

from gateway.auth.authenticator import Authenticator
from gateway.auth.startup import auth_problems
from gateway.settings import Settings


class StartupRefused(RuntimeError):
    """The settings do not let the gateway start; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("The gateway refuses to start: " + " ".join(problems))
        self.problems = problems


def authenticator_for(settings: Settings) -> Authenticator:
    """The authenticator of `settings`, or `StartupRefused` with every problem found."""
    problems = auth_problems(settings)
    if problems:
        raise StartupRefused(problems)
    try:
        return Authenticator.from_settings(settings)
    except ValueError as error:  # InvalidKeySet and the like: a key file that cannot be read
        raise StartupRefused([str(error)]) from error
