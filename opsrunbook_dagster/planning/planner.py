"""Build the action plan from a packet: pure, deterministic, flag-aware."""

from __future__ import annotations

import re

from contracts.actions import (
    ActionDecision,
    ActionFlags,
    ActionPlanV1,
    ActionType,
    PlannedAction,
    derive_action_id,
    derive_idempotency_key,
)
from contracts.canonical import content_hash
from contracts.packet import Finding, IncidentPacketV1, NextAction, NextActionKind

ACTIONABLE = 0.5


def actionable(packet: IncidentPacketV1) -> list[Finding]:
    return [f for f in packet.findings if f.confidence > ACTIONABLE]


def code_language(action: NextAction) -> str:
    """Only CLI commands are shell (built with ``shlex``); an Insights query pasted into a shell
    would run whatever the log text says, so it is shown as plain text."""
    return "shell" if action.kind == NextActionKind.aws_cli else "text"


def code_fence(value: str) -> str:
    """A Markdown fence longer than any run of backticks in ``value`` (log text cannot close it)."""
    return "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", value)), default=0))


def finding_set_sha256(packet: IncidentPacketV1) -> str:
    """Identity of *what* was found (kind, resource, signature), not of counts or times."""
    return content_hash(sorted([f.kind.value, f.resource, f.signature or ""] for f in actionable(packet)))


def _action(
    packet: IncidentPacketV1,
    kind: ActionType,
    fset: str,
    execute: bool,
    reason: str,
    inputs: dict[str, object],
) -> PlannedAction:
    return PlannedAction(
        action_id=derive_action_id(packet.incident_id, packet.run_id, kind),
        action_type=kind,
        idempotency_key=derive_idempotency_key(kind, packet.incident_id, fset),
        decision=ActionDecision.execute if execute else ActionDecision.skip,
        reason=reason,
        inputs=inputs,
    )


def build_plan(packet: IncidentPacketV1, flags: ActionFlags) -> ActionPlanV1:
    findings = actionable(packet)
    fset = finding_set_sha256(packet)
    top = findings[0] if findings else None
    has_findings = top is not None
    no_findings = "no actionable findings (confidence > 0.5)"
    ticket_summary = f"[{packet.severity.value}] {packet.service} ({packet.environment}): {top.title if top else 'no findings'}"
    actions = [
        _action(
            packet,
            ActionType.jira_ticket,
            fset,
            has_findings,
            "open or update the incident ticket" if has_findings else no_findings,
            {
                "summary": ticket_summary[:255],
                "labels": ["opsrunbook", f"opsrunbook-incident-{packet.incident_id}"],
                "finding_ids": [f.id for f in findings[:10]],
            },
        ),
        _action(
            packet,
            ActionType.teams_notification,
            fset,
            has_findings,
            "notify the on-call channel" if has_findings else no_findings,
            {"title": ticket_summary[:255], "finding_ids": [f.id for f in findings[:5]]},
        ),
    ]
    owner = next((o for o in packet.suspected_owners if o.repo), None)
    if not flags.github_pr_enabled:
        pr_execute, pr_reason = False, "GitHub PR action disabled (ENABLE_GITHUB_PR_ACTION=false)"
    elif not has_findings:
        pr_execute, pr_reason = False, no_findings
    elif owner is None:
        pr_execute, pr_reason = False, "no repository resolved"
    elif owner.confidence < flags.pr_confidence_threshold:
        pr_execute, pr_reason = (
            True,
            f"repository confidence below {flags.pr_confidence_threshold} ({owner.repo} at {owner.confidence}): "
            "gated at action time, after stack-frame verification",
        )
    else:
        pr_execute, pr_reason = True, f"open a PR in {owner.repo} (confidence {owner.confidence})"
    actions.append(
        _action(
            packet,
            ActionType.github_pr,
            fset,
            pr_execute,
            pr_reason,
            {"repo": owner.repo if owner else None, "branch": f"opsrunbook/incident-{packet.incident_id}"},
        )
    )
    assert packet.packet_hashes is not None
    plan = ActionPlanV1(
        incident_id=packet.incident_id,
        run_id=packet.run_id,
        packet_sha256=packet.packet_hashes.content_sha256,
        finding_set_sha256=fset,
        flags=flags,
        actions=actions,
    )
    return plan.with_hash()
