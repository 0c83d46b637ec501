"""`/apps/{app}/records` under every kind of grant (the toy app of tests/mappers/apps/toy.py).

The oracle knows the rows: person `p1` with visit 1, person `p2` with visit 2. A token confined
to p1's Patient must never see p2's rows (an empty answer, 200) nor write them (403, nothing
stored); `user/` and `system/` scopes see and write both as their letters allow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest
import pytest_asyncio
from httpx import AsyncClient

from mappers import apps
from mappers.apps.base import Identity
from tests.auth.matrix.grants import ADMIN
from tests.auth.matrix.harness import ISSUER, bearer, smart_app
from tests.mappers.apps import toy

pytestmark = pytest.mark.asyncio(loop_scope="module")
APPS = "http://test/apps/toy/records"
P1 = Identity("toy", "people", "p1").resource_id()


def rows(person: str, visit: int, rate: str) -> dict[str, list[dict[str, object]]]:
    return {
        "people": [{"id": person, "name": person.upper(), "sex": "F"}],
        "visits": [{"id": visit, "person_id": person, "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": rate}],
    }  # fmt: skip


def send(person: str, visit: int, rate: str) -> bytes:
    return orjson.dumps(rows(person, visit, "0")).replace(b'"0"', rate.encode())


def rename(person: str, name: str) -> bytes:
    """Only the person row: no foreign key to the clinic (outside every compartment)."""
    return orjson.dumps({"people": [{"id": person, "name": name, "sex": "F"}]})


# scope, patient claim, sees p2, may write p1, may write p2 (the oracle, by hand)
GRANTS: list[tuple[str, str | None, bool, bool, bool]] = [
    ("patient/*.rs", P1, False, False, False),
    ("patient/*.cruds", P1, False, True, False),
    ("patient/Observation.rs", P1, False, False, False),
    ("user/*.rs", None, True, False, False),
    ("user/*.cruds", None, True, True, True),
    ("system/*.*", None, True, True, True),
    ("openid fhirUser", None, False, False, False),
]


@pytest.fixture(scope="module")
def toy_app() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(apps.APPS, toy.NAME, toy.__name__)
        apps.adapter.cache_clear()
        yield
    apps.adapter.cache_clear()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def api(
    tmp_path_factory: pytest.TempPathFactory, toy_app: None
) -> AsyncIterator[AsyncClient]:
    directory: Path = tmp_path_factory.mktemp("matrix-apps")
    async with smart_app(directory) as client:
        clinic = orjson.dumps({"clinics": [{"id": 7, "name": "Lakeside"}]})
        assert (await client.post(APPS, content=clinic, headers=bearer(ADMIN))).status_code == 200
        for person, visit in (("p1", 1), ("p2", 2)):
            stored = await client.post(
                APPS, content=send(person, visit, "70"), headers=bearer(ADMIN)
            )
            assert stored.status_code == 200, stored.text
        yield client


def _token(scope: str, patient: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {ISSUER.token(scope=scope, patient=patient)}"}


async def _name(api: AsyncClient, person: str) -> object:
    answer = (await api.get(APPS, params={"patient": person}, headers=bearer(ADMIN))).json()
    return answer["people"][0]["name"]


@pytest.mark.parametrize(("scope", "patient", "sees_p2", "writes_p1", "writes_p2"), GRANTS)
async def test_records_stay_inside_the_grant(
    api: AsyncClient,
    scope: str,
    patient: str | None,
    sees_p2: bool,
    writes_p1: bool,
    writes_p2: bool,
) -> None:
    headers = _token(scope, patient)
    assert (await api.get("http://test/apps", headers=headers)).status_code == 200
    other = await api.get(APPS, params={"patient": "p2"}, headers=headers)
    assert other.status_code in ((200,) if sees_p2 else (200, 403)), other.text
    text = other.content
    assert (b'"p2"' in text) == sees_p2, text  # p2's rows exactly when the grant reaches them
    for person, may in (("p1", writes_p1), ("p2", writes_p2)):
        name = f"{person} under {scope}"
        written = await api.post(APPS, content=rename(person, name), headers=headers)
        assert written.status_code == (200 if may else 403), written.text
        assert (await _name(api, person) == name) == may


async def test_a_read_only_token_posting_visits_is_403(api: AsyncClient) -> None:
    """403 before the rows' foreign keys are looked up (not a 422 about a clinic the token
    cannot read: the matrix found that, acc-edge fixed it)."""
    written = await api.post(APPS, content=send("p1", 1, "88"), headers=_token("patient/*.rs", P1))
    assert written.status_code == 403, written.text


async def test_a_patient_writer_may_name_its_stored_clinic(api: AsyncClient) -> None:
    """A visit of p1 naming clinic 7 writes an Encounter and an Observation in p1's compartment;
    the clinic is only referenced, not written."""
    written = await api.post(
        APPS, content=send("p1", 1, "89"), headers=_token("patient/*.cruds", P1)
    )
    assert written.status_code == 200, written.text
