"""The shared request queue's pure helpers."""

from __future__ import annotations

from datetime import UTC, datetime

from opsrunbook_dagster.stores.request_queue import oldest_pending_age_seconds
from opsrunbook_dagster.stores.requests_table import RequestRow


def test_oldest_pending_age_is_measured_from_the_oldest_row() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    rows = [
        RequestRow("EVENT#b", "REQUESTED", "2026-01-01T11:59:30Z", {}),
        RequestRow("EVENT#a", "REQUESTED", "2026-01-01T11:58:00Z", {}),
    ]
    assert oldest_pending_age_seconds(rows, now) == 120.0
    assert oldest_pending_age_seconds([], now) == 0.0
