"""$lookup: a code's details in a held CodeSystem, as Parameters.

https://hl7.org/fhir/R4/codesystem-operation-lookup.html: `name`, `version`, `display`,
`designation` (language, use, value) and `property` (code, value) — here the concept's own
properties plus its `parent` and `child` codes from the hierarchy.
"""

from __future__ import annotations

from gateway.terminology.codesystem import CodeSystemIndex
from gateway.terminology.errors import UnknownCode
from gateway.terminology.model import Json


def lookup(index: CodeSystemIndex, code: str) -> Json:
    concept = index.find(code)
    if concept is None:
        raise UnknownCode(index.url, code)
    resource = index.resource
    parameters: list[Json] = [{"name": "name", "valueString": resource.get("name", index.url)}]
    if "version" in resource:
        parameters.append({"name": "version", "valueString": resource["version"]})
    if "display" in concept:
        parameters.append({"name": "display", "valueString": concept["display"]})
    parameters.extend(_designation(d) for d in concept.get("designation", []))
    if "definition" in concept:
        parameters.append(_property("definition", {"valueString": concept["definition"]}))
    for prop in concept.get("property", []):
        values = {k: v for k, v in prop.items() if k.startswith("value")}
        if "code" in prop and values and prop["code"] not in ("parent", "child"):
            parameters.append(_property(prop["code"], values))
    for name, codes in (("parent", index.parents), ("child", index.children)):
        parameters.extend(_property(name, {"valueCode": c}) for c in sorted(codes.get(code, ())))
    return {"resourceType": "Parameters", "parameter": parameters}


def _designation(designation: Json) -> Json:
    parts: list[Json] = []
    if "language" in designation:
        parts.append({"name": "language", "valueCode": designation["language"]})
    if "use" in designation:
        parts.append({"name": "use", "valueCoding": designation["use"]})
    parts.append({"name": "value", "valueString": designation.get("value", "")})
    return {"name": "designation", "part": parts}


def _property(code: str, value: Json) -> Json:
    return {
        "name": "property",
        "part": [{"name": "code", "valueCode": code}, {"name": "value", **value}],
    }
