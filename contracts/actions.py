"""Action plan and action results: what the system intends to do, and what happened."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from contracts.base import Confidence, Name, Sha256, ShortText, StrictModel, UtcDatetime
from contracts.canonical import content_hash, short_hash


class ActionType(StrEnum):
    jira_ticket = "jira_ticket"
    teams_notification = "teams_notification"
    github_pr = "github_pr"


class ActionDecision(StrEnum):
    execute = "execute"
    skip = "skip"


class ActionFlags(StrictModel):
    automation_enabled: bool = True
    dry_run: bool = True
    github_pr_enabled: bool = False
    pr_confidence_threshold: Confidence = 0.7


def derive_action_id(incident_id: str, run_id: str, action_type: ActionType) -> str:
    return "a-" + short_hash("action", incident_id, run_id, action_type.value, length=16)


def derive_idempotency_key(action_type: ActionType, incident_id: str, finding_set_sha256: str) -> str:
    """Same incident + same finding set → same key, whichever run produced it."""
    return f"{action_type.value}:{incident_id}:{finding_set_sha256[:16]}"


class PlannedAction(StrictModel):
    action_id: Name
    action_type: ActionType
    idempotency_key: Name
    decision: ActionDecision
    reason: ShortText
    inputs: dict[str, Any] = Field(default_factory=dict)


class ActionPlanV1(StrictModel):
    schema_version: Literal["incident_action_plan.v1"] = "incident_action_plan.v1"
    incident_id: Name
    run_id: Name
    packet_sha256: Sha256
    finding_set_sha256: Sha256
    flags: ActionFlags
    actions: list[PlannedAction] = Field(default_factory=list)
    plan_sha256: Sha256 | None = None

    def with_hash(self) -> ActionPlanV1:
        return self.model_copy(update={"plan_sha256": content_hash(self)})


class ActionStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"
    dry_run = "dry_run"
    disabled = "disabled"


class ExternalRef(StrictModel):
    system: Literal["jira", "teams", "github"]
    id: Name | None = None
    key: Name | None = None
    url: str | None = None


class ActionError(StrictModel):
    code: Name
    message: ShortText


class ActionResultV1(StrictModel):
    schema_version: Literal["incident_action_result.v1"] = "incident_action_result.v1"
    action_id: Name
    idempotency_key: Name
    incident_id: Name
    run_id: Name
    action_type: ActionType
    status: ActionStatus
    attempt: int = 1
    reason: ShortText = ""
    external_ref: ExternalRef | None = None
    request: dict[str, Any] | None = Field(
        default=None, description="The exact request the client sends (always recorded in dry-run)."
    )
    error: ActionError | None = None
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
