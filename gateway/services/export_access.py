"""The access an `$export` job was kicked off with, as it is stored with the job.

A job answers its owner only (the client and subject of the kick-off) and its manifest says
whether the files need a token; any worker decides both from the stored job, so the stored form
must rebuild the same `Access` (gateway.services.access): the grant's scopes as their v2 text
(gateway.auth.scopes.format_scope, which parses back to the same scope), its launch context and
the server's bases. Authorization off (GRANT_ALL) is stored as such, not as its scopes: only
the very GRANT_ALL object makes an Access unrestricted.

Reading back never widens a grant: a scope text that no longer parses (a type a later R4 table
dropped) is left out, as the authenticator leaves out a scope it cannot read.
"""

from __future__ import annotations

from typing import Any

from gateway.auth.grant import GRANT_ALL, Grant
from gateway.auth.scopes import format_scope, parse_scope
from gateway.services.access import Access


def stored_access(access: Access) -> dict[str, Any]:
    bases = list(access.base_urls)
    if access.unrestricted:
        return {"all": True, "base_urls": bases}
    grant = access.grant
    return {
        "all": False,
        "scopes": [format_scope(scope) for scope in grant.scopes],
        "patient": grant.patient,
        "client_id": grant.client_id,
        "subject": grant.subject,
        "fhir_user": grant.fhir_user,
        "base_urls": bases,
    }


def access_of(stored: dict[str, Any]) -> Access:
    bases = tuple(stored["base_urls"])
    if stored["all"]:
        return Access(GRANT_ALL, bases)
    scopes = (parse_scope(text) for text in stored["scopes"])
    grant = Grant(
        scopes=tuple(scope for scope in scopes if scope is not None),
        patient=stored["patient"],
        client_id=stored["client_id"],
        subject=stored["subject"],
        fhir_user=stored["fhir_user"],
    )
    return Access(grant, bases)
