"""Write a run's status to the incident and request rows (forward only, so writers may race)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import RequestStore
from opsrunbook_dagster.stores.table_keys import event_pk

#: Longest error text kept on a row (a stack trace can be long; the Dagster run has all of it).
MAX_REASON_CHARS = 1000


def forward(store: RequestStore, pk: str, status: str, **extra: Any) -> bool:
    """Move a queued row forward to ``status`` (and out of the pending index)."""
    return store.transition(pk, from_status=None, to_status=status, dequeue=True, forward_only=True, **extra)


def reject_request(deps: PipelineDeps, pk: str, reason: str) -> None:
    """A queued request the sensor cannot run: its row REJECTED and out of the queue, and the RUN
    and META rows of its incident too when they exist (so the incident list sees REJECTED)."""
    deps.requests.transition(pk, from_status=None, to_status="REJECTED", dequeue=True, reason=reason)
    row = deps.requests.get(pk)
    incident_id, run_id = (row.raw.get("incident_id"), row.raw.get("run_id")) if row else (None, None)
    if incident_id and run_id and deps.incidents.run(str(incident_id), str(run_id)) is not None:
        deps.incidents.set_run_status(str(incident_id), str(run_id), "REJECTED", reason=reason)


def mark_run(
    deps: PipelineDeps,
    incident_id: str,
    run_id: str,
    status: str,
    *,
    dagster_run_id: str | None,
    event_id: str | None,
    **extra: Any,
) -> None:
    deps.incidents.set_run_status(incident_id, run_id, status, dagster_run_id=dagster_run_id, **extra)
    if event_id:
        fields = {k: v for k, v in {"dagster_run_id": dagster_run_id, **extra}.items() if v is not None}
        forward(deps.requests, event_pk(event_id), status, **fields)


@dataclass(frozen=True)
class RunEnd:
    """What a run that did not succeed leaves on its rows."""

    status: str
    fields: dict[str, Any] = field(default_factory=dict)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def failed_run(attempt: int, will_retry: bool, errors: list[str], summary: str) -> RunEnd:
    """A failed attempt: RETRYING while Dagster will retry it, else FAILED with the last error.

    ``errors`` are the failed steps' own messages (most useful first); ``summary`` is the run's
    failure message (e.g. a worker that died), used when no step recorded an error.
    """
    error = _clip("; ".join(e for e in errors if e) or summary or "the run failed without an error message")
    if will_retry:
        return RunEnd("RETRYING", {"attempt": attempt, "last_error": error})
    return RunEnd(
        "FAILED", {"attempt": attempt, "last_error": error, "reason": f"attempt {attempt}: {error}"}
    )


def canceled_run(attempt: int, message: str) -> RunEnd:
    reason = _clip(message or "the run was canceled")
    return RunEnd("CANCELED", {"attempt": attempt, "reason": f"canceled: {reason}"})


def attempt_of(tags: Mapping[str, str]) -> int:
    """1 for the first run of a partition, n + 1 for Dagster's n-th automatic retry."""
    try:
        return 1 + int(tags.get("dagster/retry_number", "0"))
    except ValueError:
        return 1
