"""An imported resource's references, pointed at the ids their targets get (identity.py).

A reference to a fullUrl of the same file becomes the `Type/id` that entry gets; a `Type/id`
source reference becomes `Type/<derived id>`, as its target's own id is derived (unless
`--keep-ids`). The walk itself is the shared one (mappers.references).
"""

from __future__ import annotations

from gateway.jsonio import Json
from gateway.services.imports.identity import derived_id
from mappers import references


def own_holders(resource: Json) -> list[Json]:
    """The objects holding the resource's references. A Bundle kept whole (a document) holds
    its entries' references among themselves: they name its own fullUrls, not the import's."""
    if resource.get("resourceType") == "Bundle":
        return references.holders({k: v for k, v in resource.items() if k != "entry"})
    return references.holders(resource)


def rewrite(holders: list[Json], urls: dict[str, str], *, keep_ids: bool) -> None:
    """Point each holder at the id its target gets; `urls`: fullUrl -> `Type/id` of the file."""
    rest = references.rewrite(holders, urls)
    if keep_ids:
        return
    for holder in rest:
        reference = holder["reference"]
        if "/" in reference and not reference.startswith(("#", "urn:", "http")):
            parts = reference.split("/")
            if len(parts) in (2, 4) and parts[0][:1].isupper():
                holder["reference"] = f"{parts[0]}/{derived_id(parts[0], 'id', parts[1])}"
