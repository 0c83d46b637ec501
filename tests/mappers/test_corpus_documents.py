"""Over the third-party corpus: a stored document reads as FHIR without its record exactly as
through it (`document_to_fhir` against `to_fhir(model_validate(...))`), and that is the
resource as sent, less the server's fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappers.registry import MAPPERS
from tests.corpus.test_round_trip import _resources, comparable, corpus_files

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("path", corpus_files(MAPPERS))
def test_corpus_documents_read_as_their_records(fhir_samples: Path, path: Path) -> None:
    mismatches: list[str] = []
    for resource in _resources(path):
        mapper = MAPPERS.get(resource.get("resourceType", ""))
        if mapper is None:
            continue
        document = {"_id": "x", **mapper.from_fhir(resource).model_dump(exclude_none=True)}
        served = mapper.document_to_fhir(document)
        through_record = mapper.to_fhir(mapper.record_type.model_validate(document))
        if served != through_record or list(served) != list(through_record):
            mismatches.append(f"{resource['resourceType']}/{resource.get('id')}")
        elif served != comparable(resource):
            mismatches.append(f"{resource['resourceType']}/{resource.get('id')} (round trip)")
    assert mismatches == []
