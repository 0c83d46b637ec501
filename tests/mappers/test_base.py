"""The mapper mechanism (mappers/base.py, mappers/schema.py) on small records of its own: name
tables checked when a mapper is built, views left out of FHIR by their marker, errors located by
FHIR path, and domain classes untouched by the FHIR names."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from gateway.domain.base import Derived, FhirRecord
from gateway.domain.elements import Coding, HumanName
from gateway.domain.patient import PatientRecord
from gateway.errors import InvalidResource, Issue
from mappers import datatypes
from mappers.base import ResourceMapper, record_mapper
from mappers.names import FhirNames, NameTable, check_tables
from mappers.patient import MAPPER as PATIENT


class Toy(FhirRecord):
    active: bool | None = None
    names: list[HumanName] | None = None
    tag: Coding | None = None
    name_count: Derived[int | None] = None


TOY_NAMES: NameTable = {
    **datatypes.NAMES,
    Toy: FhirNames.of("Patient", "active", names="name", tag="maritalStatus"),
}


def count_names(record: Toy) -> None:
    record.name_count = len(record.names or [])


def toy_mapper(names: NameTable = TOY_NAMES) -> ResourceMapper[Toy]:
    return record_mapper("Patient", Toy, names=names, texts=datatypes.TEXTS, derive=count_names)


def test_fhir_names_become_domain_fields_and_back() -> None:
    resource = {
        "resourceType": "Patient",
        "active": True,
        "name": [{"family": "Okafor", "_family": {"id": "f"}}],
        "maritalStatus": {"system": "urn:s", "code": "M", "userSelected": True},
        "birthDate": "1974-12",
    }
    record = toy_mapper().from_fhir(resource)

    assert record == Toy(
        active=True,
        names=[HumanName(family="Okafor", _family={"id": "f"})],
        tag=Coding(system="urn:s", code="M", user_selected=True),
        name_count=1,
        fhir_rest={"birthDate": "1974-12"},
    )
    assert toy_mapper().to_fhir(record) == resource


def test_a_derived_view_is_stored_but_never_written_to_fhir() -> None:
    record = toy_mapper().from_fhir({"resourceType": "Patient", "name": [{"text": "Ada"}]})

    assert record.model_dump(exclude_none=True)["name_count"] == 1
    assert toy_mapper().to_fhir(record) == {"resourceType": "Patient", "name": [{"text": "Ada"}]}


def table(toy: FhirNames, *, leave_out: type[BaseModel] | None = None) -> NameTable:
    """The datatypes' names (less `leave_out`'s) with `toy` for the Toy record."""
    return {**{m: n for m, n in datatypes.NAMES.items() if m is not leave_out}, Toy: toy}


@pytest.mark.parametrize(
    ("names", "message"),
    [
        pytest.param(
            table(FhirNames.of("Patient", "active", names="name")),
            "FHIR names of Toy differ from its fields",
            id="field-without-name",
        ),
        pytest.param(
            table(
                FhirNames.of(
                    "Patient", "active", names="name", tag="maritalStatus", name_count="count"
                )
            ),
            "FHIR names of Toy differ from its fields",
            id="view-with-a-name",
        ),
        pytest.param(
            table(FhirNames.of("Patient", "active", names="names", tag="x")),
            "['names', 'x'] are not elements of Patient",
            id="not-an-element",
        ),
        pytest.param(
            table(TOY_NAMES[Toy], leave_out=Coding),
            "Coding has no FHIR names",
            id="nested-model-without-names",
        ),
    ],
)
def test_an_incomplete_name_table_fails_when_the_mapper_is_built(
    names: NameTable, message: str
) -> None:
    with pytest.raises(TypeError, match=message.replace("[", r"\[")):
        toy_mapper(names)


@pytest.mark.parametrize("mapper", ["patient", "observation", "encounter", "medication_statement"])
def test_the_name_tables_of_our_types_are_complete(mapper: str) -> None:
    module: Any = __import__(f"mappers.{mapper}", fromlist=["NAMES"])
    check_tables(module.MAPPER.record_type, module.NAMES, datatypes.TEXTS)


def test_domain_classes_keep_their_own_names_once_mappers_are_built() -> None:
    """The FHIR names live in the mappers' validators only (see schema._own_schemas)."""
    record = PATIENT.from_fhir({"resourceType": "Patient", "birthDate": "1974-12"})

    assert PatientRecord.__pydantic_complete__
    assert set(record.model_dump(exclude_none=True)) == {"birth_date", "fhir_rest"}
    assert PatientRecord.model_validate({"birthDate": "1974-12"}).birth_date is None


@pytest.mark.parametrize(
    ("resource", "issue"),
    [
        pytest.param(
            {"resourceType": "Patient", "birthDate": "1974-13"},
            Issue("Value error, month must be in 1..12", expression="Patient.birthDate"),
            id="date",
        ),
        pytest.param(
            {"resourceType": "Patient", "name": [{"given": [1]}]},
            Issue("Input should be a valid string", expression="Patient.name[0].given[0]"),
            id="nested",
        ),
    ],
)
def test_what_cannot_be_mapped_is_reported_at_its_fhir_path(
    resource: dict[str, Any], issue: Issue
) -> None:
    """`mappers.r4.validate` rejects these first; the mapper still never fails with a 500."""
    with pytest.raises(InvalidResource) as raised:
        PATIENT.from_fhir(resource)

    assert raised.value.issues == [issue]
