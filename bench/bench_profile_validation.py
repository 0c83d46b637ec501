"""Profile validation against the write path's model validation, per resource.

For HL7's blood pressure example (against the R4 `bp` profile) and two lab results (HL7's
glucose Observation `f001` against R4's Observation definition; the gateway's LDL example
against its `lab-result` profile, where the package holds it), it prints microseconds per resource for
`Profile.validate` with the held terminology and for `mappers.r4.validate` (fhir.resources
`model_validate`, the write path's validator), best of N runs, and their ratio. Issue 11's
target, create with profile validation at >= 65 % of create without it, budgets the ratio at
about 1.2. Two figures per case: "cold" empties the memo of clean subtrees
(gateway/conformance/clean.py) before each call, as for a resource sharing nothing with those
before it; "warm" validates the same resource again and again, so every clean part is skipped
(real data sits between: codes, categories and subjects repeat, values do not).

Run: `.venv/bin/python -m bench.bench_profile_validation` (needs the shared samples).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from gateway.conformance import Profile, base_profile, profile
from gateway.conformance.clean import forget
from gateway.jsonio import Json, loads
from gateway.terminology import TerminologySource, local_source
from mappers import r4

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "fhir-samples" / "hl7-r4"
GATEWAY = "http://fhir-gateway.org/fhir/StructureDefinition/"
LDL = Path(__file__).resolve().parent.parent / "tests/fixtures/profiles/valid/lab-result-ldl.json"
RUNS, LOOPS = 7, 200


def best_us(function: Callable[[], object]) -> float:
    """Microseconds per call, the best of RUNS runs of LOOPS calls."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in range(LOOPS):
            function()
        best = min(best, (time.perf_counter() - start) / LOOPS)
    return best * 1e6


def cases() -> list[tuple[str, Json, Profile]]:
    bp = loads((SAMPLES / "Observation-blood-pressure.json").read_bytes())
    lab = loads((SAMPLES / "Observation-f001.json").read_bytes())
    found = [("bp", bp, profile("http://hl7.org/fhir/StructureDefinition/bp"))]
    found += [("lab f001 / Observation", lab, base_profile("Observation"))]
    if LDL.is_file():
        found += [
            ("lab ldl / lab-result", loads(LDL.read_bytes()), profile(GATEWAY + "lab-result"))
        ]
    return [(name, resource, rules) for name, resource, rules in found if rules is not None]


def _cold(rules: Profile, resource: Json, terminology: TerminologySource) -> object:
    forget()
    return rules.validate(resource, terminology)


def main() -> None:
    terminology = local_source()
    print(
        f"{'case':<26}{'cold µs':>9}{'warm µs':>9}{'r4.validate µs':>16}{'cold ratio':>12}  errors"
    )
    for name, resource, rules in cases():
        issues = rules.validate(resource, terminology)  # compiles what the walk meets, once
        errors = sum(issue.severity == "error" for issue in issues)
        cold = best_us(partial(_cold, rules, resource, terminology))
        warm = best_us(partial(rules.validate, resource, terminology))
        modelled = best_us(partial(r4.validate, resource))
        print(
            f"{name:<26}{cold:>9.0f}{warm:>9.0f}{modelled:>16.0f}{cold / modelled:>12.2f}  {errors}"
        )


if __name__ == "__main__":
    main()
