"""Reading a terminology server's replies defensively: a remote answer is input, never trusted.

Parameters (parameters.html) of $validate-code: `result`, `message`, `display`; an expanded
ValueSet's `contains`, nested or not; an OperationOutcome's diagnostics for error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.terminology.model import CodeCheck, Json


def parameter(parameters: Json, name: str) -> Any:
    """The value[x] of the first parameter called `name`, or None."""
    for item in parameters.get("parameter", []) if isinstance(parameters, dict) else []:
        if isinstance(item, dict) and item.get("name") == name:
            return next((v for k, v in item.items() if k.startswith("value")), None)
    return None


def check_of(parameters: Json) -> CodeCheck:
    result = parameter(parameters, "result")
    message = parameter(parameters, "message")
    display = parameter(parameters, "display")
    return CodeCheck(
        result if isinstance(result, bool) else None,
        message if isinstance(message, str) else "",
        display if isinstance(display, str) else None,
    )


def expansion_of(expanded: Json) -> Json:
    """ValueSet.expansion with a list `contains` (or none), whatever the reply holds."""
    expansion = expanded.get("expansion") if isinstance(expanded, dict) else None
    if not isinstance(expansion, dict):
        return {}
    if not isinstance(expansion.get("contains", []), list):
        return {k: v for k, v in expansion.items() if k != "contains"}
    return expansion


def codes_of(expanded: Json) -> Iterator[tuple[str, str]]:
    """The (system, code) pairs of an expanded ValueSet, hierarchy flattened, junk skipped."""
    yield from _flatten(expansion_of(expanded).get("contains"))


def _flatten(contains: Any) -> Iterator[tuple[str, str]]:
    for item in contains if isinstance(contains, list) else []:
        if not isinstance(item, dict):
            continue
        system, code = item.get("system"), item.get("code")
        if isinstance(system, str) and isinstance(code, str):
            yield system, code
        yield from _flatten(item.get("contains"))


def outcome_text(answer: Any) -> str:
    """The diagnostics (or details text) of an OperationOutcome reply, joined."""
    if not isinstance(answer, dict) or answer.get("resourceType") != "OperationOutcome":
        return ""
    texts = []
    for issue in answer.get("issue", []) if isinstance(answer.get("issue"), list) else []:
        if isinstance(issue, dict):
            details = issue.get("details")
            text = issue.get("diagnostics") or (
                details.get("text") if isinstance(details, dict) else None
            )
            if isinstance(text, str):
                texts.append(text)
    return "; ".join(texts)
