"""Evidence, action and stored-document read models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ListTruncation(BaseModel):
    total: int
    returned: int


class EvidenceItemOut(BaseModel):
    collector: str
    key: str
    sha256: str
    byte_size: int
    status: str
    collector_truncated: bool = Field(description="The collector itself hit a budget (see evidence.limits).")
    truncated_lists: dict[str, ListTruncation] = Field(
        default_factory=dict, description="Lists this response cut to `limit` items: name → total/returned."
    )
    evidence: dict[str, Any] = Field(description="The stored evidence object, lists cut to `limit`.")


class EvidenceOut(BaseModel):
    incident_id: str
    run_id: str
    snapshot_key: str
    limit: int
    collector: str | None = None
    truncated: bool = Field(description="True when any list in `items` was cut to `limit` by this response.")
    items: list[EvidenceItemOut]


class ActionsLatestOut(BaseModel):
    incident_id: str
    run_id: str
    plan_key: str
    results_key: str | None = None
    plan: dict[str, Any] = Field(description="incident_action_plan.v1 as stored.")
    results: list[dict[str, Any]] | None = Field(
        default=None, description="incident_action_result.v1 list; null until the plan has been executed."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "incident_id": "inc-7d1f0c9e2a4b",
                    "run_id": "r5c0e8a1b3d2f",
                    "plan_key": "plans/inc-7d1f0c9e2a4b/r5c0e8a1b3d2f.json",
                    "results_key": "results/inc-7d1f0c9e2a4b/r5c0e8a1b3d2f.json",
                    "plan": {"schema_version": "incident_action_plan.v1", "actions": []},
                    "results": [{"schema_version": "incident_action_result.v1", "status": "dry_run"}],
                }
            ]
        }
    }


class RunResultsOut(BaseModel):
    run_id: str
    results_key: str
    results: list[dict[str, Any]]


class ActionsOut(BaseModel):
    incident_id: str
    runs: list[RunResultsOut] = Field(description="Action results of every run that has any, newest first.")
