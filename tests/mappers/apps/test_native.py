"""mappers.apps.native: identities give stable FHIR ids, timestamps are read as the seeds
write them and become FHIR dates and dateTimes."""

from __future__ import annotations

import uuid

import pytest
from pydantic import TypeAdapter, ValidationError

from mappers.apps.native import SID, Day, Identity, Instant, fhir_date, fhir_datetime, stable_int


def test_an_identity_names_its_row_and_gives_the_same_ids_every_time() -> None:
    identity = Identity.of("medrecord", "Patient", 42)
    assert identity == Identity("medrecord", "Patient", "42")
    assert identity.identifier() == {"system": f"{SID}/medrecord/Patient", "value": "42"}
    assert identity.resource_id() == Identity("medrecord", "Patient", "42").resource_id()
    assert uuid.UUID(identity.resource_id()).version == 5
    assert identity.reference("Patient", "x") == {
        "reference": f"Patient/{identity.resource_id('x')}"
    }


@pytest.mark.parametrize(
    "other",
    [
        Identity("medrecord", "Patient", "43"),
        Identity("medrecord", "Provider", "42"),
        Identity("norahealth", "Patient", "42"),
    ],
)
def test_ids_differ_by_app_entity_row_and_part(other: Identity) -> None:
    identity = Identity("medrecord", "Patient", "42")
    assert identity.resource_id() != other.resource_id()
    assert identity.resource_id() != identity.resource_id("heartRate")


def test_ids_are_fixed_forever() -> None:
    """Stored resources carry these ids: a change of namespace would orphan them all."""
    assert Identity("toy", "people", "p1").resource_id() == "769e61a8-befc-55e5-a4dd-28c4cee66157"


INSTANT: TypeAdapter[str] = TypeAdapter(Instant)
DAY: TypeAdapter[str] = TypeAdapter(Day)


@pytest.mark.parametrize(
    "text",
    ["2025-11-01", "2025-11-01T14:30:00.000Z", "2025-11-01T14:30", "2025-11-01 14:30:05",
     "2025-11-01T14:30:00+0100", "2025-11-01T14:30:00-05:00"],
)  # fmt: skip
def test_instants_are_kept_as_sent(text: str) -> None:
    assert INSTANT.validate_python(text) == text


@pytest.mark.parametrize(
    "text", ["yesterday", "2025-13-01", "2025-02-30", "2025-11-01T25:00", "2025-11-01T14:30Zulu", "11/01/2025"]
)  # fmt: skip
def test_instants_refuse_what_is_no_iso_date(text: str) -> None:
    with pytest.raises(ValidationError):
        INSTANT.validate_python(text)


@pytest.mark.parametrize("text", ["1985-03-15", "1985-03-15T00:00:00.000Z", "1985-03-15T00:00"])
def test_days_take_a_date_or_prisma_midnight(text: str) -> None:
    assert DAY.validate_python(text) == text
    assert fhir_date(text) == "1985-03-15"


@pytest.mark.parametrize("text", ["1985-03-15T10:00:00Z", "1985-03-15T00:00:00+02:00", "1985-3-15"])
def test_days_refuse_a_time_of_day(text: str) -> None:
    with pytest.raises(ValidationError):
        DAY.validate_python(text)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2025-11-01", "2025-11-01"),
        ("2025-11-01T14:30:00.000Z", "2025-11-01T14:30:00.000Z"),
        ("2025-11-01T14:30", "2025-11-01T14:30:00Z"),
        ("2025-11-01 14:30:05", "2025-11-01T14:30:05Z"),
        ("2025-11-01T14:30:00+0100", "2025-11-01T14:30:00+01:00"),
        ("2025-11-01T14:30:00-05:00", "2025-11-01T14:30:00-05:00"),
    ],
)
def test_fhir_datetime_gives_a_zone_to_every_time(instant: str, expected: str) -> None:
    assert fhir_datetime(instant) == expected


def test_stable_int_is_stable_positive_and_exact_in_json() -> None:
    value = stable_int("Observation/abc")
    assert value == stable_int("Observation/abc") != stable_int("Observation/abd")
    assert 0 < value < 2**53
