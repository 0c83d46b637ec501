"""mappers.apps.schema: the JSON Schema of every app's records is valid and accepts the app's
own demo records."""

from __future__ import annotations

import jsonschema
import orjson
import pytest

from gateway.demo_records import app_records
from gateway.jsonio import dumps
from gateway.services.apps.registry import available
from mappers.apps.base import AppAdapter
from mappers.apps.schema import records_schema
from tests.mappers.apps.toy import ADAPTER as TOY

ADAPTERS = [*available(), TOY]


@pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)
def test_the_schema_is_valid_and_names_every_entity(adapter: AppAdapter) -> None:
    schema = records_schema(adapter)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == [e.name for e in adapter.entities]


@pytest.mark.parametrize("adapter", available(), ids=lambda a: a.name)
def test_the_demo_records_satisfy_the_schema(adapter: AppAdapter) -> None:
    records = app_records()[adapter.name]
    errors = jsonschema.Draft202012Validator(records_schema(adapter)).iter_errors(
        orjson.loads(dumps(records))
    )
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_a_secret_is_marked_and_a_row_is_closed() -> None:
    schema = records_schema(TOY)
    person = schema["$defs"]["Person"]
    assert person["additionalProperties"] is False
    assert person["required"] == ["id", "name"]
    assert "Secret" in person["properties"]["password_hash"]["description"]
