"""Replay request and status models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.ids import RUN_ID_PATTERN

RunId = Annotated[str, StringConstraints(pattern=rf"^{RUN_ID_PATTERN}$")]


class ReplayRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"run_ids": ["r5c0e8a1b3d2f"]}, {}]},
    )

    run_ids: list[RunId] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="Runs to rebuild; omitted: the pipeline picks (the incident's latest run).",
    )


class ReplayAccepted(BaseModel):
    replay_id: str
    incident_id: str
    status: str
    status_url: str

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "replay_id": "rp-3f9a0c1d2e4b",
                    "incident_id": "inc-7d1f0c9e2a4b",
                    "status": "REQUESTED",
                    "status_url": "/v1/incidents/inc-7d1f0c9e2a4b/replays/rp-3f9a0c1d2e4b",
                }
            ]
        }
    }


class ReplayCheckOut(BaseModel):
    run_id: str
    kind: str = Field(description="`packet` or `plan`.")
    match: bool
    diffs: list[str] = Field(default_factory=list, description="JSON pointers where the rebuild differed.")
    divergent_key: str | None = Field(default=None, description="Where the differing rebuild was stored.")


class ReplayOut(BaseModel):
    replay_id: str
    incident_id: str
    status: str
    reason: str | None = None
    created_at: str | None = None
    run_ids: list[str] | None = Field(
        default=None, description="Runs asked for (null: the pipeline's choice)."
    )
    checks: list[ReplayCheckOut] = Field(default_factory=list)
    match: bool | None = Field(
        default=None, description="All checks reproduced byte for byte; null until any exist."
    )
    complete: bool = Field(description="Every asked-for run has both its packet and plan checked.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "replay_id": "rp-3f9a0c1d2e4b",
                    "incident_id": "inc-7d1f0c9e2a4b",
                    "status": "REQUESTED",
                    "created_at": "2026-11-26T12:30:00Z",
                    "run_ids": None,
                    "checks": [
                        {"run_id": "r5c0e8a1b3d2f", "kind": "packet", "match": True, "diffs": []},
                        {"run_id": "r5c0e8a1b3d2f", "kind": "plan", "match": False, "diffs": ["/actions/0"]},
                    ],
                    "match": False,
                    "complete": True,
                }
            ]
        }
    }
