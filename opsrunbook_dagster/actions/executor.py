"""Run a plan's actions: skipped actions stay skipped, the kill switch disables everything, a dry
run records the exact request each client would send (no network call), and otherwise a runner
executes each action exactly once (see ``opsrunbook_dagster.actions.runner``).

Actions run Jira → GitHub → Teams so that the PR can link the ticket and the card both; results
are returned in plan order. One action failing never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from contracts.actions import (
    ActionDecision,
    ActionPlanV1,
    ActionResultV1,
    ActionStatus,
    ActionType,
    ExternalRef,
    PlannedAction,
)
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.model import ActionContext
from opsrunbook_dagster.actions.render.http_bodies import RenderContext, render_request
from opsrunbook_dagster.charts.metric_charts import Chart
from opsrunbook_dagster.resolution.gate import static_gate

ORDER = {ActionType.jira_ticket: 0, ActionType.github_pr: 1, ActionType.teams_notification: 2}


class Runner(Protocol):
    def run(self, ctx: ActionContext) -> ActionResultV1: ...


def link_label(ref: ExternalRef) -> str:
    if ref.system == "jira":
        return f"Jira {ref.key or ref.id}"
    if ref.system == "github":
        return f"Pull request {ref.key or ref.id}"
    return "Teams"


def _dry_gate(packet: IncidentPacketV1, plan: ActionPlanV1, action: PlannedAction) -> str | None:
    """In a dry run the PR gate uses the packet's confidences only (verification needs GitHub)."""
    if action.action_type != ActionType.github_pr:
        return None
    chosen, why = static_gate(packet, plan.flags.pr_confidence_threshold)
    return None if chosen else f"{why}; stack-frame verification needs GitHub and does not run in a dry run"


def execute_plan(
    packet: IncidentPacketV1,
    plan: ActionPlanV1,
    runner: Runner | None = None,
    *,
    render: RenderContext | None = None,
    automation_enabled: bool = True,
    dry_run: bool = False,
    evidence_lines: Callable[[], list[str]] = lambda: [],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    charts: Sequence[Chart] = (),
) -> list[ActionResultV1]:
    """``automation_enabled``/``dry_run`` are the settings *now*; they only make the plan's flags
    stricter (a kill switch flipped after planning still stops execution)."""
    render = render or RenderContext()
    enabled = plan.flags.automation_enabled and automation_enabled
    dry = plan.flags.dry_run or dry_run or runner is None
    refs: list[ExternalRef] = []
    results: dict[str, ActionResultV1] = {}
    for action in sorted(plan.actions, key=lambda a: ORDER[a.action_type]):
        links = {link_label(r): r.url for r in refs if r.url}
        links.update(render.links)
        ctx = ActionContext(packet, plan, action, replace(render, links=links), evidence_lines, charts)
        base = {
            "action_id": action.action_id,
            "idempotency_key": action.idempotency_key,
            "incident_id": plan.incident_id,
            "run_id": plan.run_id,
            "action_type": action.action_type,
            "started_at": now(),
        }
        if action.decision == ActionDecision.skip:
            result = ActionResultV1(
                **base, status=ActionStatus.skipped, reason=action.reason, finished_at=now()
            )
        elif not enabled:
            result = ActionResultV1(
                **base,
                status=ActionStatus.disabled,
                reason="kill switch: AUTOMATION_ENABLED=false",
                finished_at=now(),
            )
        elif (dry or runner is None) and (gate := _dry_gate(packet, plan, action)) is not None:
            result = ActionResultV1(**base, status=ActionStatus.skipped, reason=gate, finished_at=now())
        elif dry or runner is None:
            why = (
                "dry run: request recorded, not sent"
                if plan.flags.dry_run or dry_run
                else "no client configured"
            )
            result = ActionResultV1(
                **base,
                status=ActionStatus.dry_run,
                reason=why,
                request=render_request(packet, plan, action, ctx.render),
                finished_at=now(),
            )
        else:
            result = runner.run(ctx)
        if result.external_ref is not None:
            refs.append(result.external_ref)
        results[action.action_id] = result
    return [results[a.action_id] for a in plan.actions]
