"""Run a plan's actions. This version records dry-run requests and honours the kill switch;
real clients plug in through ``ActionClient`` (see the Actions issue)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from contracts.actions import (
    ActionDecision,
    ActionPlanV1,
    ActionResultV1,
    ActionStatus,
    ActionType,
    PlannedAction,
)
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.planning.requests import render_requests


class ActionClient(Protocol):
    def execute(self, action: PlannedAction, request: dict[str, Any]) -> ActionResultV1: ...


def execute_plan(
    packet: IncidentPacketV1,
    plan: ActionPlanV1,
    clients: Mapping[ActionType, ActionClient] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[ActionResultV1]:
    requests = render_requests(packet, plan)
    results = []
    for action in plan.actions:
        started = now()
        base = {
            "action_id": action.action_id,
            "idempotency_key": action.idempotency_key,
            "incident_id": plan.incident_id,
            "run_id": plan.run_id,
            "action_type": action.action_type,
            "started_at": started,
        }
        if action.decision == ActionDecision.skip:
            results.append(
                ActionResultV1(**base, status=ActionStatus.skipped, reason=action.reason, finished_at=now())
            )
        elif not plan.flags.automation_enabled:
            results.append(
                ActionResultV1(
                    **base,
                    status=ActionStatus.disabled,
                    reason="kill switch: AUTOMATION_ENABLED=false",
                    finished_at=now(),
                )
            )
        elif plan.flags.dry_run or not clients or action.action_type not in clients:
            results.append(
                ActionResultV1(
                    **base,
                    status=ActionStatus.dry_run,
                    reason="dry run: request recorded, not sent"
                    if plan.flags.dry_run
                    else "no client configured",
                    request=requests[action.action_id],
                    finished_at=now(),
                )
            )
        else:
            results.append(clients[action.action_type].execute(action, requests[action.action_id]))
    return results
