"""A PUT whose body says what the current version says is compared before it is validated:
no structural validation, no mapping, no new version; the answer is today's (the current
version, the profile policy's warnings and refusals), and "the same" is exact."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.errors import InvalidResource, PreconditionFailed, UnprocessableResource
from gateway.jsonio import Json, loads
from gateway.services import resources
from gateway.services.context import Services, open_services
from gateway.services.profiles import ProfilePolicy
from gateway.settings import Settings

UNKNOWN = "http://example.org/StructureDefinition/not-held"
WEIGHT = b"""{"resourceType": "Observation", "id": "w1", "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
  "valueQuantity": {"value": 1.50, "unit": "kg", "system": "http://unitsofmeasure.org",
                    "code": "kg"}}"""


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    opened = await open_services(Settings(mongodb_uri=None))
    yield opened
    opened.close()


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Json]:
    """The resources structural validation is asked about, in order."""
    asked: list[Json] = []
    real = resources.validate

    def counting(resource: Json, **options: Any) -> Any:  # engine=: VALIDATION_ENGINE
        asked.append(resource)
        return real(resource, **options)

    monkeypatch.setattr(resources, "validate", counting)
    return asked


def patient(**elements: Any) -> Json:
    return {"resourceType": "Patient", "id": "p1", "gender": "female",
            "name": [{"family": "Rivera", "given": ["Ana"]}], **elements}  # fmt: skip


async def test_an_unchanged_body_is_not_validated_and_makes_no_version(
    services: Services, validations: list[Json]
) -> None:
    store = services.store("Patient")
    first = await resources.update(store, "p1", patient())
    assert len(validations) == 1
    reordered = dict(reversed(list(patient(meta={"versionId": "9"}).items())))
    again = await resources.update(store, "p1", reordered)
    assert len(validations) == 1  # compared first: equal, so nothing to validate
    assert (again.changed, again.created, again.version) == (False, False, first.version)
    assert [v.version_id for v in await store.versions("p1", limit=10)] == [1]


async def test_a_changed_body_is_validated_and_refused_as_before(
    services: Services, validations: list[Json]
) -> None:
    store = services.store("Patient")
    await resources.update(store, "p1", patient())
    with pytest.raises(InvalidResource):
        await resources.update(store, "p1", patient(gender=7))
    assert len(validations) == 2
    changed = await resources.update(store, "p1", patient(gender="male"))
    assert (changed.changed, changed.version.version_id) == (True, 2)


async def test_decimal_precision_is_a_change(services: Services, validations: list[Json]) -> None:
    """`1.50` says more than `1.5` (datatypes.html#decimal): a new version, validated."""
    store = services.store("Observation")
    await resources.update(store, "w1", loads(WEIGHT))
    same = await resources.update(store, "w1", loads(WEIGHT))
    assert same.changed is False
    fewer_digits = await resources.update(store, "w1", loads(WEIGHT.replace(b"1.50", b"1.5")))
    assert (fewer_digits.changed, fewer_digits.version.version_id) == (True, 2)
    assert len(validations) == 2
    back = await resources.update(store, "w1", loads(WEIGHT))
    assert (back.changed, back.version.version_id) == (True, 3)


async def test_an_unchanged_body_keeps_the_policy_warnings(services: Services) -> None:
    """An unknown profile claim is a warning under the default policy: a re-sent body is
    answered with it as the first PUT was (Prefer: return=OperationOutcome shows it)."""
    store = services.store("Patient")
    claiming = patient(meta={"profile": [UNKNOWN]})
    first = await resources.update(store, "p1", claiming)
    again = await resources.update(store, "p1", claiming)
    assert again.changed is False
    assert first.warnings
    assert again.warnings == first.warnings


async def test_an_unchanged_body_is_refused_by_a_policy_made_stricter(services: Services) -> None:
    store = services.store("Patient")
    claiming = patient(meta={"profile": [UNKNOWN]})
    await resources.update(store, "p1", claiming)
    strict = ProfilePolicy(unknown="error")
    with pytest.raises(UnprocessableResource) as refused:
        await resources.update(store, "p1", claiming, profiles=strict)
    assert [i.details_code for i in refused.value.issues] == ["unknown-profile"]


async def test_an_unchanged_body_still_answers_if_match(services: Services) -> None:
    store = services.store("Patient")
    await resources.update(store, "p1", patient())
    with pytest.raises(PreconditionFailed):
        await resources.update(store, "p1", patient(), if_match=4)
    same = await resources.update(store, "p1", patient(), if_match=1)
    assert same.changed is False
