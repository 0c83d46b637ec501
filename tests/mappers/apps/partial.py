"""What a row read back from an EHR lacks: the required fields only the app records."""

from __future__ import annotations

from pydantic import ValidationError

from gateway.jsonio import Json
from mappers.apps.native import NativeRow


def missing(model: type[NativeRow], row: Json) -> set[str]:
    """The required fields `row` leaves out; fails if the model refuses any value it carries
    (a partial row says what FHIR has, checked by the model, and lacks nothing else)."""
    try:
        model.model_validate(row)
    except ValidationError as error:
        details = error.errors(include_url=False)
        assert all(d["type"] == "missing" for d in details), details
        return {".".join(map(str, d["loc"])) for d in details}
    return set()
