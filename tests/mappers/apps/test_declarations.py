"""Every adapter (the four seed apps and the toy app) declares
itself whole: a FieldHome for every model field, a reason for every entity without a home,
foreign keys and secrets that name real entities and fields."""

from __future__ import annotations

import pytest

from gateway.services.apps.registry import available
from mappers.apps.base import AppAdapter
from tests.mappers.apps.toy import ADAPTER as TOY

ADAPTERS = [*available(), TOY]


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_every_model_field_has_a_home_or_a_reason(adapter: AppAdapter) -> None:
    for entity in adapter.entities:
        if entity.model is None:
            continue
        assert set(entity.fields) == set(entity.model.model_fields), entity.name
        for name, home in entity.fields.items():
            assert (home.where is None) != (home.reason is None), f"{entity.name}.{name}"
            assert (home.where or home.reason or "").strip(), f"{entity.name}.{name}"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_entities_without_a_home_say_why(adapter: AppAdapter) -> None:
    for entity in adapter.entities:
        if entity.to_fhir is None:
            assert (entity.no_home or "").strip(), entity.name
        else:
            assert entity.model is not None, entity.name


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_a_row_a_foreign_key_names_has_a_primary_resource(adapter: AppAdapter) -> None:
    """The service looks a referenced row up in the store by its primary types."""
    for entity in adapter.entities:
        for target_name in entity.foreign_keys.values():
            target = adapter.entity(target_name)
            assert target is not None, f"{entity.name} -> {target_name}"
            if target.to_fhir is not None:
                assert target.primary, f"{entity.name} -> {target_name}"


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_foreign_keys_and_secrets_name_real_entities_and_fields(adapter: AppAdapter) -> None:
    names = [e.name for e in adapter.entities]
    assert len(names) == len(set(names))
    assert adapter.patient_entity in names
    for entity in adapter.entities:
        fields = set(entity.model.model_fields) if entity.model else None
        for field, target in entity.foreign_keys.items():
            assert target in names, f"{entity.name}.{field}"
            assert fields is None or field in fields, f"{entity.name}.{field}"
        for path in entity.secrets:
            assert fields is None or path.split(".")[0] in fields, f"{entity.name}.{path}"
