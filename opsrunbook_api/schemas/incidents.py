"""Intake and incident/run read models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

RunStatus = Literal[
    "REQUESTED", "SCHEDULED", "RUNNING", "RETRYING", "SUCCEEDED", "FAILED", "REJECTED", "CANCELED"
]


class IntakeResponse(BaseModel):
    incident_id: str
    run_id: str
    event_id: str
    status: str = Field(description="Status of the request when this response was made.")
    created: bool = Field(description="False when this event_id was already submitted with the same body.")
    status_url: str
    run_url: str
    processing: str = Field(
        default="normal",
        description="`delayed` when nothing is picking requests up right now (the request is stored and "
        "waits in the table until the orchestrator is back); `normal` otherwise.",
    )
    processing_note: str | None = Field(default=None, description="Why processing is delayed.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "incident_id": "inc-7d1f0c9e2a4b",
                    "run_id": "r5c0e8a1b3d2f",
                    "event_id": "evt-2026-11-26-0001",
                    "status": "REQUESTED",
                    "created": True,
                    "status_url": "/v1/incidents/inc-7d1f0c9e2a4b",
                    "run_url": "/v1/incidents/inc-7d1f0c9e2a4b/runs/r5c0e8a1b3d2f",
                }
            ]
        }
    }


class RunOut(BaseModel):
    run_id: str
    event_id: str | None = None
    partition_key: str | None = None
    status: RunStatus | str
    reason: str | None = Field(default=None, description="Why the run was rejected or failed, when known.")
    created_at: str | None = None
    updated_at: str | None = None
    dagster_run_id: str | None = None
    dagster_url: str | None = Field(default=None, description="The run in the Dagster UI, once it exists.")
    request: dict[str, Any] | None = Field(default=None, description="The incident_event.v1 as stored.")


class IncidentFields(BaseModel):
    """What the incident's META row says, shared by the incident and the list."""

    incident_id: str
    service: str | None = None
    environment: str | None = None
    severity: str | None = None
    title: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    status: RunStatus | str = Field(description="Status of the latest run.")
    reason: str | None = None


class IncidentOut(IncidentFields):
    latest_run: RunOut | None = None
    runs: list[RunOut] = Field(default_factory=list, description="Every run, oldest first (no request).")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "incident_id": "inc-7d1f0c9e2a4b",
                    "service": "payment-gateway",
                    "environment": "prod",
                    "severity": "critical",
                    "title": "Lambda timeouts",
                    "created_at": "2026-11-26T12:00:01Z",
                    "updated_at": "2026-11-26T12:00:09Z",
                    "status": "RUNNING",
                    "reason": None,
                    "latest_run": {
                        "run_id": "r5c0e8a1b3d2f",
                        "status": "RUNNING",
                        "dagster_run_id": "0f6c4a52-3b7e-4d1c-9a55-2f8e1c7b9d10",
                        "dagster_url": "http://127.0.0.1:3000/runs/0f6c4a52-3b7e-4d1c-9a55-2f8e1c7b9d10",
                    },
                    "runs": [],
                }
            ]
        }
    }


class IncidentSummary(IncidentFields):
    """One incident in a list: what its META row says (status of its latest run)."""

    latest_run_id: str | None = None
    url: str = Field(description="The incident's status route.")


class IncidentListOut(BaseModel):
    items: list[IncidentSummary] = Field(description="Newest first (by creation time).")
    next_cursor: str | None = Field(
        default=None,
        description="Pass as `cursor` (with the same filters) for the next page; null on the last page. "
        "A page may hold fewer than `limit` items and still have a next one.",
    )
    limit: int
