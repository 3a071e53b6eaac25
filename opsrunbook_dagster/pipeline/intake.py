"""Turn rows of the incident-requests table into launch decisions (pure; the sensor applies them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from contracts.registry import first_error
from opsrunbook_dagster.stores.requests_table import RequestRow


@dataclass(frozen=True)
class Launch:
    row_pk: str
    partition_key: str
    incident_id: str
    run_id: str
    event_id: str
    #: True when the row was already SCHEDULED (a re-request after a lost tick; Dagster dedupes run keys).
    resumed: bool
    #: Dagster run key: the partition key, suffixed with the submission number after a resubmission
    #: (a failed request submitted again is a new attempt, which Dagster must not de-duplicate away).
    run_key: str = ""
    #: When the row was SCHEDULED (None for a new row): a re-request waits until this is stale.
    scheduled_at: str | None = None


@dataclass
class TickPlan:
    launches: list[Launch] = field(default_factory=list)
    rejections: list[tuple[str, str]] = field(default_factory=list)


def validate_row(row: RequestRow) -> IncidentEventV1:
    """The row's request, re-validated (rows may come from any writer). Raises ValueError."""
    if row.kind != "collect":
        raise ValueError(f"kind: unsupported request kind {row.kind!r}")
    if not row.body:
        raise ValueError("body: missing")
    try:
        event = IncidentEventV1.model_validate_json(row.body)
    except ValidationError as exc:
        raise ValueError(first_error(exc)) from exc
    expected = (row.raw.get("incident_id"), row.raw.get("run_id"))
    if expected != (event.resolved_incident_id, event.run_id):
        raise ValueError("incident_id/run_id: do not match the request body")
    return event


def oldest_pending_age_seconds(rows: list[RequestRow], now: datetime) -> float:
    """Seconds the oldest waiting request has waited (0 with none): what an operator alarms on."""
    created = [r.created_at for r in rows if r.created_at]
    if not created:
        return 0.0
    oldest = datetime.fromisoformat(min(created).replace("Z", "+00:00"))
    return round(max(0.0, (now - oldest).total_seconds()), 3)


def plan_tick(rows: list[RequestRow]) -> TickPlan:
    plan = TickPlan()
    for row in rows:
        if row.status not in ("REQUESTED", "SCHEDULED") or row.kind == "replay":
            continue  # replay rows belong to the replay sensor
        try:
            event = validate_row(row)
        except ValueError as exc:
            plan.rejections.append((row.pk, str(exc)))
            continue
        incident_id, run_id = event.resolved_incident_id, event.run_id
        key = partition_key(incident_id, run_id)
        plan.launches.append(
            Launch(
                row_pk=row.pk,
                partition_key=key,
                run_key=key if row.submission <= 1 else f"{key}#s{row.submission}",
                incident_id=incident_id,
                run_id=run_id,
                event_id=event.event_id,
                resumed=row.status == "SCHEDULED",
                scheduled_at=str(row.raw["scheduled_at"]) if row.raw.get("scheduled_at") else None,
            )
        )
    return plan
