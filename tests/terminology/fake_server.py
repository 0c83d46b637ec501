"""A fake FHIR terminology server for the remote source, served through httpx.MockTransport.

It knows one value set of colours, one code system with a two-level hierarchy, and one map;
everything else gets a 404 OperationOutcome, as a real server answers what it does not hold.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

Json = dict[str, Any]
BASE = "http://tx.example.org/fhir"
COLOURS_VS = "http://remote.example.org/ValueSet/colours"
COLOURS = "http://remote.example.org/CodeSystem/colours"
TREE = {"colour": ["red", "blue"], "red": ["crimson"], "blue": [], "crimson": []}
CODES = [("red", "Red"), ("blue", "Blue"), ("crimson", "Crimson")]


def not_found(what: str) -> httpx.Response:
    outcome = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "not-found", "diagnostics": f"Unknown {what}"}]}  # fmt: skip
    return httpx.Response(404, json=outcome)


def parameters(**values: Any) -> httpx.Response:
    items = [{"name": name, f"value{kind}": value} for name, (kind, value) in values.items()]
    return httpx.Response(200, json={"resourceType": "Parameters", "parameter": items})


def expansion(codes: list[tuple[str, str]]) -> httpx.Response:
    contains = [{"system": COLOURS, "code": c, "display": d} for c, d in codes]
    return httpx.Response(200, json={"resourceType": "ValueSet", "url": COLOURS_VS,
                                     "expansion": {"total": len(codes), "contains": contains}})  # fmt: skip


def below(code: str) -> list[str]:
    return [code, *(c for child in TREE.get(code, []) for c in below(child))]


def handler(request: httpx.Request) -> httpx.Response:
    path, query = request.url.path.removeprefix("/fhir/"), request.url.params
    if path == "ValueSet/$expand" and request.method == "GET":
        return expansion(CODES) if query.get("url") == COLOURS_VS else not_found("value set")
    if path == "ValueSet/$expand":
        body = json.loads(request.content)
        include = body["parameter"][0]["resource"]["compose"]["include"][0]
        if include["system"] != COLOURS:
            return not_found("code system")
        filter_ = include["filter"][0]
        codes = below(filter_["value"]) if filter_["op"] == "is-a" else [
            parent for parent in TREE if filter_["value"] in below(parent)]  # fmt: skip
        return expansion([(c, c.title()) for c in codes])
    if path == "ValueSet/$validate-code":
        if query.get("url") != COLOURS_VS:
            return not_found("value set")
        known = query.get("system") == COLOURS and query.get("code") in dict(CODES)
        return parameters(result=("Boolean", known))
    if path == "CodeSystem/$lookup":
        if query.get("system") != COLOURS:
            return not_found("code system")
        return parameters(name=("String", "Colours"), display=("String", query["code"].title()))
    if path == "ConceptMap/$translate":
        return parameters(result=("Boolean", query.get("code") == "red"))
    if path in ("ValueSet", "CodeSystem"):
        held = {"ValueSet": COLOURS_VS, "CodeSystem": COLOURS}[path]
        total = 1 if query.get("url") == held else 0
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "searchset", "total": total}
        )
    return not_found(path)


def client(handle: Any = handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handle))
