"""Every path of the FHIR base, and the handler of each method it takes, in one table.

Fixed paths come before the `{resource_type}` templates that would read them as a type or an id
(`metadata`, `$export`, `Observation/$lastn`, `Patient/$everything`, `$validate`, `_search`, and `_history`
before a compartment's types); each path answers its other methods 405 with `Allow`
(`gateway.http.methods`). `openapi.py` describes the same interactions from the
CapabilityStatement; a test holds the two together.

Every path needs an access token (gateway.http.methods) except those of `public_paths`: what a
client reads before it has one (issue 13).
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from gateway.http.methods import Endpoint, route
from gateway.http.routes import (
    bulk_export,
    bundles,
    compartments,
    docs,
    metadata,
    resources,
    search,
    system,
    terminology,
    validation,
)

INSTANCE: dict[str, Endpoint] = {
    "GET": resources.read,
    "PUT": resources.update,
    "DELETE": resources.delete,
}


class TypeName(Convertor[str]):
    """A segment spelled as a resource type is (CamelCase): no fixed path of the base is."""

    regex = "[A-Z][A-Za-z]{0,63}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class Id(Convertor[str]):
    """A segment that is a valid FHIR id (datatypes.html#id): no `$operation`, no `_history`."""

    regex = "[A-Za-z0-9.-]{1,64}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("fhir_type", TypeName())
register_url_convertor("fhir_id", Id())


def paths(base: str) -> list[tuple[str, dict[str, Endpoint]]]:
    """(path, {method: handler}), most specific first; `base` is the FHIR base path."""
    instance = f"{base}/{{resource_type}}/{{resource_id}}"
    compartment = f"{base}/{{compartment}}/{{resource_id}}/{{resource_type}}"
    everything: dict[str, Endpoint] = {
        "GET": compartments.everything,
        "POST": compartments.everything_post,
    }
    return [
        (f"{base}/metadata", {"GET": metadata.metadata}),
        (f"{base}{docs.OPENAPI_PATH}", {"GET": docs.openapi}),
        (f"{base}/_docs", {"GET": docs.swagger_ui}),
        (f"{base}/$export", {"GET": bulk_export.system_export}),
        (
            f"{base}/$export-poll-status/{{job_id}}",
            {"GET": bulk_export.status, "DELETE": bulk_export.delete},
        ),
        (f"{base}/$export-file/{{job_id}}/{{file_name}}", {"GET": bulk_export.download}),
        (f"{base}/Patient/$export", {"GET": bulk_export.patient_export}),
        (f"{base}/Observation/$lastn", {"GET": search.observation_lastn}),
        (f"{base}/Patient/$everything", everything),
        (f"{base}/Patient/{{resource_id}}/$everything", everything),
        *_terminology(base, instance=False),
        (f"{base}/{{resource_type}}/$validate", {"POST": validation.validate_type}),
        (
            f"{base}/{{resource_type}}/{{resource_id}}/$validate",
            {"POST": validation.validate_instance},
        ),
        (base or "/", {"GET": system.system_search, "POST": bundles.transaction}),
        (f"{base}/", {"GET": system.system_search, "POST": bundles.transaction}),
        (f"{base}/_search", {"POST": system.system_search_post}),
        (f"{base}/_history", {"GET": system.system_history}),
        (f"{base}/{{resource_type}}/_search", {"POST": search.search_post}),
        (f"{base}/{{resource_type}}/_history", {"GET": system.type_history}),
        (
            f"{base}/{{resource_type}}",
            {
                "GET": search.search,
                "POST": resources.create,
                "PUT": resources.conditional_update_route,
                "DELETE": resources.conditional_delete_route,
            },
        ),
        (instance, INSTANCE),
        (f"{instance}/_history", {"GET": resources.history}),
        (f"{instance}/_history/{{version_id}}", {"GET": resources.vread}),
        # after the instance routes, which they cannot match: a read does not pass them
        *_terminology(base, instance=True),
        (compartment, {"GET": compartments.search}),
        (f"{compartment}/_search", {"POST": compartments.search_post}),
    ]


def public_paths(base: str) -> frozenset[str]:
    """The paths served without a token: the CapabilityStatement (SMART: discovery starts
    there), the OpenAPI document and its page (a description of the API, no data)."""
    return frozenset({f"{base}/metadata", f"{base}{docs.OPENAPI_PATH}", f"{base}/_docs"})


def _terminology(base: str, *, instance: bool) -> list[tuple[str, dict[str, Endpoint]]]:
    """The terminology operations (gateway.http.routes.terminology), GET and POST each, at
    type level or (where R4 defines it) instance level."""
    found: list[tuple[str, dict[str, Endpoint]]] = []
    for resource_type, name, handler, on_instances in (
        ("ValueSet", "expand", terminology.expand, True),
        ("ValueSet", "validate-code", terminology.validate_code, True),
        ("CodeSystem", "lookup", terminology.lookup, False),
        ("ConceptMap", "translate", terminology.translate, True),
    ):
        handlers: dict[str, Endpoint] = {"GET": handler, "POST": handler}
        if not instance:
            found.append((f"{base}/{resource_type}/${name}", handlers))
        elif on_instances:
            found.append((f"{base}/{resource_type}/{{resource_id}}/${name}", handlers))
    return found


def routes(base: str) -> list[Route]:
    public = public_paths(base)
    return [route(path, handlers, public=path in public) for path, handlers in paths(base)]


def instance_route(base: str) -> Route:
    """The instance path again, for a valid type-like name and id only, which the app lists
    before every other route: Starlette tries routes in turn, and a read passed 32 others
    before its own (~27 µs of a ~110 µs read, in process). No route listed before the
    instance template can match what this one does (its fixed segments are lowercase or begin
    with `$`, `_` or `.`: tested), so a request it takes is one the template would take, to
    the same handlers; anything else (an invalid id) still reaches the template where it is."""
    return route(f"{base}/{{resource_type:fhir_type}}/{{resource_id:fhir_id}}", INSTANCE)
