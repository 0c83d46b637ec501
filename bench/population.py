"""A large, realistic population for the search benchmark, identical for a given seed.

`gateway.demo` builds a few patients with every resource type and a handful of days of wearable
data; a search benchmark needs volume: hundreds of patients with hundreds of Observations each,
spread over two years, the way a gateway fed by labs, clinics and wearables fills up. The code
tables (LOINC, UCUM, reference ranges, categories) are the demo's.

Loading goes through `ResourceStore.write` (so `index`, `sort` and the derived fields are what
the API would store) into a collection stand-in that keeps the documents, then one
`insert_many`: a per-document `insert_one` into the embedded store would dominate the run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from gateway import demo
from gateway.domain.time import utc_now
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.context import Services
from gateway.store.repository import ResourceStore

ANCHOR = demo.ANCHOR
DAYS = 730  # two years of history before ANCHOR
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
WEARABLES = tuple(demo.METRICS.values())
PANEL_NAMES = tuple(demo.PANELS)
CHECKED_EVERY = 20  # one resource in this many takes the full API path, validation included


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    utc_offset: int
    norms: dict[str, float]  # LOINC -> this patient's usual value

    @property
    def subject(self) -> Json:
        return {"reference": f"Patient/{self.id}"}

    def at(self, moment: datetime) -> str:
        return f"{moment:%Y-%m-%dT%H:%M:%S}{self.utc_offset:+03d}:00"


def generate(*, patients: int, observations: int, seed: int = 11) -> tuple[list[Json], list[Json]]:
    """`patients` Patients and `observations` Observations shared out evenly among them."""
    rng = random.Random(seed)
    people = [_person(rng, n) for n in range(1, patients + 1)]
    bodies = [_patient(rng, p) for p in people]
    quota, extra = divmod(observations, patients)
    found: list[Json] = []
    for number, person in enumerate(people):
        wanted = quota + (number < extra)
        mine = _observations_of(rng, person)
        found += [
            {"resourceType": "Observation", "id": f"{person.id}-obs-{k}", **body}
            for k, body in enumerate((next(mine) for _ in range(wanted)), 1)
        ]
    return bodies, found


def _person(rng: random.Random, number: int) -> Person:
    town = rng.choice(demo.TOWNS)
    return Person(
        id=f"bench-pat-{number}",
        utc_offset=town.utc_offset,
        norms={m.loinc: rng.uniform(*m.usual) for m in (*demo.TRACKED, *demo.LABS)},
    )


def _patient(rng: random.Random, person: Person) -> Json:
    sex = rng.choice(("female", "male"))
    born = ANCHOR - timedelta(days=rng.randint(25 * 365, 85 * 365))
    return {
        "resourceType": "Patient",
        "id": person.id,
        "identifier": [{"system": f"{demo.DEMO}/mrn", "value": f"B{person.id[10:]:0>6}"}],
        "active": True,
        "name": [
            {
                "use": "official",
                "family": rng.choice(demo.FAMILY),
                "given": [rng.choice(demo.GIVEN[sex])],
            }
        ],
        "gender": sex,
        "birthDate": born.isoformat(),
    }


def _observations_of(rng: random.Random, person: Person) -> Iterator[Json]:
    """Endless, in random order over two years: lab panels, clinic vitals, wearable days
    (about 10 %, 9 % and 81 % of the Observations: a wearable-heavy chart)."""
    while True:
        day = ANCHOR - timedelta(days=rng.randint(1, DAYS))
        roll = rng.random()
        if roll < 0.04:
            yield from _lab_panel(rng, person, day)
        elif roll < 0.06:
            yield from _vitals(rng, person, day)
        else:
            yield _wearable(rng, person, day)


def _lab_panel(rng: random.Random, person: Person, day: date) -> Iterator[Json]:
    drawn = datetime.combine(day, time(rng.randint(7, 11), rng.choice((0, 15, 30, 45))))
    for measure in demo.PANELS[rng.choice(PANEL_NAMES)]:
        span = measure.abnormal if rng.random() < 0.15 and measure.abnormal else measure.usual
        value = _rounded(rng.uniform(*span), measure.decimals)
        yield _observation(
            person,
            ("laboratory",),
            measure,
            drawn,
            value,
            interpretation=[demo.interpretation(measure, value)],
            referenceRange=[
                {
                    name: measure.quantity(bound)
                    for name, bound in (("low", measure.low), ("high", measure.high))
                    if bound is not None
                }
            ],
        )


def _vitals(rng: random.Random, person: Person, day: date) -> Iterator[Json]:
    taken = datetime.combine(day, time(rng.randint(8, 16), rng.choice((5, 20, 35, 50))))
    for measure in demo.VITALS:
        yield _observation(person, ("vital-signs",), measure, taken, _reading(rng, person, measure))


def _wearable(rng: random.Random, person: Person, day: date) -> Json:
    metric = rng.choice(WEARABLES)
    moment = datetime.combine(day, time(rng.randint(5, 8), rng.randrange(60)))
    return _observation(
        person,
        metric.categories,
        metric.measure,
        moment,
        _reading(rng, person, metric.measure),
        device={"display": rng.choice(demo.DEVICES).display},
    )


def _reading(rng: random.Random, person: Person, measure: demo.Measure) -> float:
    value = person.norms[measure.loinc] + rng.uniform(-measure.jitter, measure.jitter)
    return _rounded(value, measure.decimals)


def _observation(
    person: Person,
    categories: tuple[str, ...],
    measure: demo.Measure,
    moment: datetime,
    value: float,
    **rest: Any,
) -> Json:
    return {
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": demo.CATEGORIES[c][0], "code": c, "display": demo.CATEGORIES[c][1]}
                ]
            }
            for c in categories
        ],
        "code": measure.code(),
        "subject": person.subject,
        "effectiveDateTime": person.at(moment),
        "valueQuantity": measure.quantity(value),
        **rest,
    }


def _rounded(value: float, decimals: int) -> float:
    """As a device reports it; whole numbers stay JSON integers."""
    return round(value, decimals) if decimals else round(value)


class _Collected:
    """A collection stand-in for `ResourceStore.write`: keeps what it would insert."""

    def __init__(self) -> None:
        self.documents: list[Json] = []

    async def insert_one(self, document: Json) -> None:
        self.documents.append(document)


async def load(services: Services, bodies: list[Json]) -> int:
    """Store `bodies` (one resource type) as PUT-with-id would; returns how many were stored.

    Every CHECKED_EVERY-th resource takes the full path (`resources.update`: validation,
    invariants, mapping, write); the others are mapped and written by the same
    `ResourceStore.write`, without the fhir.resources validation that dominates a write.
    """
    store = services.store(bodies[0]["resourceType"])
    collected = _Collected()
    capture = ResourceStore(store.mapper, collected, store.history, store.indexer)
    for number, body in enumerate(bodies):
        if number % CHECKED_EVERY == 0:
            await resources.update(store, body["id"], body)
            continue
        await capture.write(
            store.mapper.from_fhir(body),
            body,
            resource_id=body["id"],
            version_id=1,
            updated=utc_now(),
            previous=None,
            method="PUT",
        )
    if collected.documents:
        await store.collection.insert_many(collected.documents)
    return len(bodies)
