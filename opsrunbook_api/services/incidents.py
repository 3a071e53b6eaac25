"""Incident intake (idempotent on event_id) and incident/run reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from contracts.incident_event import IncidentEventV1
from opsrunbook_api.schemas.incidents import IncidentOut, RunOut
from opsrunbook_api.services.errors import Conflict, NotFound, Unavailable
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.requests_table import SubmitOutcome
from opsrunbook_dagster.stores.run_status import STATUS_RANK

#: what a run's status needs from its RUN row and its request row (never the stored request body)
RUN_FIELDS = (
    "pk",
    "sk",
    "run_id",
    "event_id",
    "partition_key",
    "status",
    "reason",
    "created_at",
    "updated_at",
    "dagster_run_id",
)
REQUEST_FIELDS = ("pk", "sk", "status", "reason", "created_at", "dagster_run_id")


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def meta_fields(incident_id: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``IncidentFields`` a META row gives (status and reason as stored)."""
    return {
        "incident_id": incident_id,
        "service": _str(meta.get("service")),
        "environment": _str(meta.get("environment")),
        "severity": _str(meta.get("severity")),
        "title": _str(meta.get("title")),
        "created_at": _str(meta.get("created_at")),
        "updated_at": _str(meta.get("updated_at")),
        "status": str(meta.get("status") or "REQUESTED"),
        "reason": _str(meta.get("reason")),
    }


@dataclass
class IncidentService:
    deps: PipelineDeps
    run_url: Callable[[str], str] | None = None

    def submit(self, event: IncidentEventV1) -> SubmitOutcome:
        """Store the request (all rows or none); raises Conflict for an event_id reused with another body."""
        try:
            outcome = self.deps.requests.submit(event)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            # Cancelled for another reason than an existing request (e.g. a concurrent write to
            # the incident's META row): nothing was written, and retrying the same body is safe.
            raise Unavailable(
                f"incident {event.resolved_incident_id} is being updated concurrently; retry the request",
                {"event_id": event.event_id, "retry_after": 1},
            ) from exc
        if outcome.conflict:
            raise Conflict(
                f"event_id {event.event_id} was already submitted with a different body",
                {"event_id": event.event_id, "incident_id": outcome.incident_id, "run_id": outcome.run_id},
            )
        return outcome

    def meta(self, incident_id: str) -> dict[str, Any]:
        meta = self.deps.incidents.meta(incident_id)
        if meta is None:
            raise NotFound(f"incident {incident_id} not found", {"incident_id": incident_id})
        return meta

    def run_rows(self, incident_id: str) -> list[dict[str, Any]]:
        """Every RUN row of the incident, oldest first, without the request bodies."""
        rows = self.deps.incidents.runs(incident_id, fields=RUN_FIELDS)
        return sorted(rows, key=lambda r: (str(r.get("created_at", "")), str(r.get("run_id", ""))))

    def run_ids_newest_first(self, incident_id: str) -> list[str]:
        """Run ids to look through for 'latest' objects: META's latest run first, then newest first."""
        meta = self.meta(incident_id)
        ids = [str(r["run_id"]) for r in reversed(self.run_rows(incident_id)) if r.get("run_id")]
        latest = _str(meta.get("latest_run_id"))
        if latest:
            ids = [latest, *(i for i in ids if i != latest)]
        return ids

    def get_incident(self, incident_id: str) -> IncidentOut:
        meta = self.meta(incident_id)
        rows = self.run_rows(incident_id)
        runs = [self._run_out(r, with_request=False) for r in rows]
        latest_id = _str(meta.get("latest_run_id"))
        latest = next((r for r in runs if r.run_id == latest_id), runs[-1] if runs else None)
        fields = meta_fields(incident_id, meta)
        if latest:
            fields.update(status=latest.status, reason=latest.reason)
        return IncidentOut(**fields, latest_run=latest, runs=runs)

    def get_run(self, incident_id: str, run_id: str) -> RunOut:
        self.meta(incident_id)
        row = self.deps.incidents.run(incident_id, run_id)
        if row is None:
            raise NotFound(
                f"run {run_id} of incident {incident_id} not found",
                {"incident_id": incident_id, "run_id": run_id},
            )
        return self._run_out(row, with_request=True)

    def _run_out(self, row: dict[str, Any], *, with_request: bool) -> RunOut:
        status, reason = str(row.get("status", "REQUESTED")), _str(row.get("reason"))
        dagster_run_id = _str(row.get("dagster_run_id"))
        event_id = _str(row.get("event_id"))
        request_row = self.deps.requests.request(event_id, REQUEST_FIELDS) if event_id else None
        if request_row is not None:
            # The RUN row and the request row have different writers (the intake sensor moves the
            # request row to SCHEDULED/REJECTED; the run's own writes reach both), so the run's
            # status is whichever of the two is further on.
            raw = request_row.raw
            if STATUS_RANK.get(request_row.status, -1) > STATUS_RANK.get(status, -1):
                status, reason = request_row.status, _str(raw.get("reason")) or reason
            dagster_run_id = dagster_run_id or _str(raw.get("dagster_run_id"))
        request = None
        if with_request and row.get("request_body"):
            request = json.loads(str(row["request_body"]))
        return RunOut(
            run_id=str(row.get("run_id", "")),
            event_id=event_id,
            partition_key=_str(row.get("partition_key")),
            status=status,
            reason=reason,
            created_at=_str(row.get("created_at")),
            updated_at=_str(row.get("updated_at")),
            dagster_run_id=dagster_run_id,
            dagster_url=self.run_url(dagster_run_id) if dagster_run_id and self.run_url else None,
            request=request,
        )
