"""Plan a tick of the incident request queue: queued rows → launches and rejections (pure; the
sensor applies them through ``request_queue.take``). PR review deliveries: ``pr_review/review_tick.py``."""

from __future__ import annotations

from pydantic import ValidationError

from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from contracts.registry import first_error
from opsrunbook_dagster.stores.request_queue import Launch, TickPlan
from opsrunbook_dagster.stores.requests_table import RequestRow


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


def plan_tick(rows: list[RequestRow]) -> TickPlan:
    """Incident requests: one run per (incident, run) partition."""
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
        run_key = key if row.submission <= 1 else f"{key}#s{row.submission}"
        plan.launches.append(
            Launch.of(row, key, run_key, incident_id=incident_id, run_id=run_id, event_id=event.event_id)
        )
    return plan
