"""The served demo: each app's sample records through its adapter, beside the EHR's patients;
no dangling reference, and loading twice changes nothing. Apps whose records module is not
merged yet are left out by `app_records` (all four are expected)."""

from __future__ import annotations

from gateway.demo_records import MODULES, app_records
from gateway.services.context import Services
from gateway.services.demo_load import load_demo
from mappers.apps import APPS
from mappers.references import holders
from tests.services.apps.held import stored


def test_every_app_has_a_records_module() -> None:
    assert list(MODULES) == list(APPS)


async def test_the_demo_refers_only_to_itself_and_loads_once(services: Services) -> None:
    counts = await load_demo(services, patients=2)
    everything = await stored(services)
    assert sum(counts.values()) == len(everything)
    dangling = {
        f"{ref} -> {holder['reference']}"
        for ref, resource in everything.items()
        for holder in holders(resource)
        if not holder["reference"].startswith(("#", "urn:", "http"))
        and holder["reference"].split("/_history/")[0] not in everything
    }
    assert dangling == set()
    apps = app_records()
    for app in apps:  # each app's patients are there, as FHIR with the app's identifier
        system = f"http://fhir-gateway.org/fhir/sid/{app}/"
        assert any(
            i.get("system", "").startswith(system)
            for r in everything.values() if r["resourceType"] == "Patient"
            for i in r.get("identifier", ())
        ), app  # fmt: skip
    assert await load_demo(services, patients=2) == {}
    assert await stored(services) == everything  # no new version anywhere
