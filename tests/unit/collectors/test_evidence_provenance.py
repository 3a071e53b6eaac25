"""Evidence bytes depend only on what was collected: wall clock and query ids live beside them."""

from __future__ import annotations

import json

from contracts.evidence import LogsEvidenceV1
from opsrunbook_dagster.collectors.budgets import Budgets
from opsrunbook_dagster.collectors.finalize import finalize
from tests import factories


def _raw(collected_at: str, query_id: str) -> LogsEvidenceV1:
    doc = factories.logs_evidence(collected_at=collected_at)
    doc["queries"][0]["query_id"] = query_id
    return LogsEvidenceV1.model_validate(doc)


def test_collection_time_and_query_ids_are_not_in_the_hashed_body() -> None:
    stored = finalize(_raw("2026-01-01T00:00:00Z", "q-aaaa"), Budgets())
    body = json.loads(stored.body)
    assert body["collected_at"] is None
    assert all(q["query_id"] is None for q in body["queries"])
    assert stored.provenance == {"collected-at": "2026-01-01T00:00:00Z", "query-ids": "q-aaaa"}


def test_same_world_collected_twice_gives_the_same_bytes() -> None:
    first = finalize(_raw("2026-01-01T00:00:00Z", "q-aaaa"), Budgets())
    again = finalize(_raw("2026-01-01T00:05:09Z", "q-bbbb"), Budgets())
    assert first.body == again.body and first.sha256 == again.sha256
    assert first.provenance != again.provenance


def test_objects_written_before_the_change_still_load() -> None:
    assert LogsEvidenceV1.model_validate(factories.logs_evidence()).collected_at is not None
