"""Write a run's status to the incident and request rows (forward only, so writers may race)."""

from __future__ import annotations

from typing import Any

from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import RequestStore


def forward(store: RequestStore, pk: str, status: str, **extra: Any) -> bool:
    """Move a queued row forward to ``status`` (and out of the pending index)."""
    return store.transition(pk, from_status=None, to_status=status, dequeue=True, forward_only=True, **extra)


def mark_run(
    deps: PipelineDeps,
    incident_id: str,
    run_id: str,
    status: str,
    *,
    dagster_run_id: str | None,
    event_id: str | None,
) -> None:
    deps.incidents.set_run_status(incident_id, run_id, status, dagster_run_id=dagster_run_id)
    if event_id:
        extra = {"dagster_run_id": dagster_run_id} if dagster_run_id else {}
        deps.requests.transition(
            f"EVENT#{event_id}", from_status=None, to_status=status, dequeue=True, forward_only=True, **extra
        )
