"""The compartment search `GET [base]/{Compartment}/{id}/{type}?...`: a type search within the
compartment's membership (http.html#vsearch, gateway.services.compartments).

It is a search like any other, so the grant's "s" clause applies (gateway.services.search): a
`patient/` token searching another patient's compartment gets an empty searchset (the two
compartments share nothing), never a 403 and never data; a type it may not search is a 403.
"""

from __future__ import annotations

from gateway.jsonio import Json
from gateway.search.request import SearchRequest
from gateway.services.compartments import check_member_type, membership
from gateway.services.context import Services
from gateway.services.resources import check_id
from gateway.services.searchset import searchset


async def compartment_search(
    services: Services,
    compartment: str,
    compartment_id: str,
    searched: SearchRequest,
    *,
    base: str,
) -> Json:
    """A searchset of `searched` within the compartment; links keep the compartment path."""
    check_member_type(compartment, searched.resource_type, services)
    within = membership(
        compartment, (check_id(compartment_id),), searched.resource_type, base_urls=(base,)
    )
    path = f"{compartment}/{compartment_id}/{searched.resource_type}"
    return await searchset(services, searched, base=base, within=within, path=path)
