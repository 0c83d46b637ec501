"""Properties of the mappers over generated records (never Beanie Documents).

Records are built the way the gateway builds them, from FHIR-shaped dicts through `from_fhir`.
Identity would pass a round trip too, so the golden files stay (test_round_trip.py). Dates stay
within 1900-2100 here; the extremes `parse_range` clamps are pinned in test_time.py and
test_round_trip.py.
"""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

import fhir_profiles
from gateway.domain.observation import ObservationRecord
from gateway.domain.patient import PatientRecord
from gateway.jsonio import Json
from mappers.observation import INTERPRETATION
from mappers.observation import MAPPER as OBSERVATION
from mappers.patient import MAPPER as PATIENT
from mappers.r4 import validate

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def codes(value_set: str) -> list[str]:
    return sorted(fhir_profiles.required_value_sets()[f"http://hl7.org/fhir/ValueSet/{value_set}"])


words = st.text(st.characters(categories=["L", "Nd"]), min_size=1, max_size=10)
phrases = st.lists(words, min_size=1, max_size=3).map(" ".join)
ids = st.from_regex(r"[A-Za-z0-9\-.]{1,64}", fullmatch=True)
offsets = st.sampled_from(
    ["Z", "+00:00", "-05:00", "+01:00", "+05:30", "+09:45", "-12:00", "+14:00"]
)


@st.composite
def fhir_dates(draw: st.DrawFn) -> str:
    """A FHIR date at year, month or day precision."""
    day = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
    precision = draw(st.sampled_from([4, 7, 10]))
    return day.isoformat()[:precision]


@st.composite
def fhir_instants(draw: st.DrawFn) -> str:
    """A FHIR instant: seconds, an optional fraction (3 or 6 digits), a zone."""
    moment = draw(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30)))
    fraction = draw(
        st.sampled_from(["", f".{moment.microsecond // 1000:03d}", f".{moment.microsecond:06d}"])
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + draw(offsets)


fhir_date_times = st.one_of(fhir_dates(), fhir_instants())


human_names = st.fixed_dictionaries(
    {"family": words},
    optional={
        "use": st.sampled_from(codes("name-use")),
        "given": st.lists(words, min_size=1, max_size=3),
        "text": phrases,
    },
)
telecoms = st.fixed_dictionaries(
    {"system": st.sampled_from(codes("contact-point-system")), "value": phrases},
    optional={"use": st.sampled_from(codes("contact-point-use")), "rank": st.integers(1, 9)},
)
deceased = st.one_of(
    st.just({}),
    st.builds(lambda flag: {"deceasedBoolean": flag}, st.booleans()),
    st.builds(lambda moment: {"deceasedDateTime": moment}, fhir_date_times),
)


@st.composite
def patient_resources(draw: st.DrawFn) -> Json:
    resource = draw(
        st.fixed_dictionaries(
            {"resourceType": st.just("Patient")},
            optional={
                "active": st.booleans(),
                "name": st.lists(human_names, min_size=1, max_size=3),
                "telecom": st.lists(telecoms, min_size=1, max_size=2),
                "gender": st.sampled_from(codes("administrative-gender")),
                "birthDate": fhir_dates(),
                "identifier": st.lists(
                    st.fixed_dictionaries(
                        {"system": st.just("urn:oid:1.2.36.146.595"), "value": ids}
                    ),
                    min_size=1,
                    max_size=2,
                ),
            },
        )
    )
    return {**resource, **draw(deceased)}


codings = st.fixed_dictionaries(
    {"system": st.just(LOINC), "code": st.sampled_from(["29463-7", "8310-5", "8867-4", "55423-8"])},
    optional={"display": phrases},
)
codeable_concepts = st.fixed_dictionaries(
    {"coding": st.lists(codings, min_size=1, max_size=2)}, optional={"text": phrases}
)
decimals = st.one_of(
    st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False)
)
quantities = st.fixed_dictionaries(
    {"value": decimals},
    optional={
        "comparator": st.sampled_from(codes("quantity-comparator")),
        "unit": st.sampled_from(["lb", "degF", "kg", "mmHg", "/min"]),
        "system": st.just(UCUM),
        "code": st.sampled_from(["[lb_av]", "[degF]", "kg", "mm[Hg]", "/min", "Cel"]),
    },
)
values = st.one_of(
    st.just({}),
    st.builds(lambda q: {"valueQuantity": q}, quantities),
    st.builds(lambda c: {"valueCodeableConcept": c}, codeable_concepts),
    st.builds(lambda s: {"valueString": s}, phrases),
    st.builds(lambda b: {"valueBoolean": b}, st.booleans()),
    st.builds(lambda i: {"valueInteger": i}, st.integers(-(2**31), 2**31 - 1)),
)
periods = st.fixed_dictionaries(
    {}, optional={"start": fhir_date_times, "end": fhir_date_times}
).filter(bool)
effectives = st.one_of(
    st.just({}),
    st.builds(lambda moment: {"effectiveDateTime": moment}, fhir_date_times),
    st.builds(lambda moment: {"effectiveInstant": moment}, fhir_instants()),
    st.builds(lambda period: {"effectivePeriod": period}, periods),
)
interpretations = st.lists(
    st.fixed_dictionaries(
        {
            "coding": st.lists(
                st.fixed_dictionaries(
                    {
                        "system": st.sampled_from([INTERPRETATION, "http://example.org/flags"]),
                        "code": st.sampled_from(["L", "N", "H", "LL", "HH", "A", "POS"]),
                    }
                ),
                min_size=1,
                max_size=2,
            )
        }
    ),
    min_size=1,
    max_size=2,
)


@st.composite
def observation_resources(draw: st.DrawFn) -> Json:
    resource = draw(
        st.fixed_dictionaries(
            {
                "resourceType": st.just("Observation"),
                "status": st.sampled_from(codes("observation-status")),
                "code": codeable_concepts,
            },
            optional={
                "subject": st.builds(lambda i: {"reference": f"Patient/{i}"}, ids),
                "interpretation": interpretations,
                "device": st.builds(
                    lambda d: {"display": d},
                    st.sampled_from(["Withings Body+", "Oura Ring", "Omron cuff"]),
                ),
            },
        )
    )
    return {**resource, **draw(values), **draw(effectives)}


patient_records = patient_resources().map(PATIENT.from_fhir)
observation_records = observation_resources().map(OBSERVATION.from_fhir)


@PROPERTY_SETTINGS
@given(patient_records)
def test_patient_record_survives_to_fhir_and_back(record: PatientRecord) -> None:
    assert PATIENT.from_fhir(PATIENT.to_fhir(record)) == record


@PROPERTY_SETTINGS
@given(patient_records)
def test_patient_record_to_fhir_is_valid_fhir(record: PatientRecord) -> None:
    validate(PATIENT.to_fhir(record))


@PROPERTY_SETTINGS
@given(patient_resources())
def test_patient_resource_survives_from_fhir_and_back(resource: Json) -> None:
    assert PATIENT.to_fhir(PATIENT.from_fhir(resource)) == resource


@PROPERTY_SETTINGS
@given(observation_records)
def test_observation_record_survives_to_fhir_and_back(record: ObservationRecord) -> None:
    assert OBSERVATION.from_fhir(OBSERVATION.to_fhir(record)) == record


@PROPERTY_SETTINGS
@given(observation_records)
def test_observation_record_to_fhir_is_valid_fhir(record: ObservationRecord) -> None:
    validate(OBSERVATION.to_fhir(record))


@PROPERTY_SETTINGS
@given(observation_resources())
def test_observation_resource_survives_from_fhir_and_back(resource: Json) -> None:
    assert OBSERVATION.to_fhir(OBSERVATION.from_fhir(resource)) == resource


@PROPERTY_SETTINGS
@given(patient_records)
def test_patient_stored_document_reads_as_its_record_does(record: PatientRecord) -> None:
    document = record.model_dump(exclude_none=True)
    assert PATIENT.document_to_fhir(document) == PATIENT.to_fhir(record)


@PROPERTY_SETTINGS
@given(observation_records)
def test_observation_stored_document_reads_as_its_record_does(record: ObservationRecord) -> None:
    document = record.model_dump(exclude_none=True)
    assert OBSERVATION.document_to_fhir(document) == OBSERVATION.to_fhir(record)
