"""The exact HTTP requests each action would send (recorded verbatim in dry-run)."""

from __future__ import annotations

from typing import Any

from contracts.actions import ActionPlanV1, ActionType, PlannedAction
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.planning.planner import actionable

_PRIORITY = {"critical": "Highest", "warning": "High", "info": "Medium"}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [_text(text)]}


def adf_description(packet: IncidentPacketV1) -> dict[str, Any]:
    """Atlassian Document Format body: summary, findings, evidence refs, next actions."""
    findings = actionable(packet)
    content: list[dict[str, Any]] = [
        {"type": "heading", "attrs": {"level": 2}, "content": [_text("Summary")]},
        _paragraph(packet.summary),
        {"type": "heading", "attrs": {"level": 2}, "content": [_text("Findings")]},
    ]
    if findings:
        items = []
        for finding in findings[:10]:
            refs = ", ".join(f"{r.s3_key}#{r.pointer}" for r in finding.evidence_refs[:3])
            items.append(
                {
                    "type": "listItem",
                    "content": [
                        _paragraph(f"{finding.title} (confidence {finding.confidence})"),
                        _paragraph(finding.summary[:1000]),
                        _paragraph(f"Evidence: {refs}"),
                    ],
                }
            )
        content.append({"type": "orderedList", "content": items})
    else:
        content.append(_paragraph("No actionable findings."))
    if packet.next_actions:
        content.append({"type": "heading", "attrs": {"level": 2}, "content": [_text("Next actions")]})
        for action in packet.next_actions[:6]:
            content.append(_paragraph(action.title))
            content.append(
                {"type": "codeBlock", "attrs": {"language": "shell"}, "content": [_text(action.command)]}
            )
    return {"type": "doc", "version": 1, "content": content}


def jira_request(packet: IncidentPacketV1, action: PlannedAction) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/rest/api/3/issue",
        "json": {
            "fields": {
                "project": {"key": "${JIRA_PROJECT_KEY}"},
                "issuetype": {"name": "Incident"},
                "summary": action.inputs["summary"],
                "priority": {"name": _PRIORITY[packet.severity.value]},
                "labels": action.inputs["labels"],
                "description": adf_description(packet),
            }
        },
    }


def teams_request(packet: IncidentPacketV1, action: PlannedAction) -> dict[str, Any]:
    findings = actionable(packet)[:5]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "size": "Large",
            "weight": "Bolder",
            "text": action.inputs["title"],
            "wrap": True,
        },
        {
            "type": "FactSet",
            "facts": [
                {"title": "Severity", "value": packet.severity.value},
                {"title": "Service", "value": packet.service},
                {"title": "Environment", "value": packet.environment},
                {"title": "Incident", "value": packet.incident_id},
            ],
        },
    ]
    body += [{"type": "TextBlock", "text": f"• {f.title} ({f.confidence})", "wrap": True} for f in findings]
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }
    return {
        "method": "POST",
        "path": "${TEAMS_WORKFLOW_URL}",
        "json": {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        },
    }


def github_request(packet: IncidentPacketV1, action: PlannedAction) -> dict[str, Any]:
    repo = action.inputs.get("repo") or "${REPO}"
    return {
        "method": "POST",
        "path": f"/repos/{repo}/pulls",
        "json": {
            "title": f"Incident {packet.incident_id}: {packet.summary[:200]}",
            "head": action.inputs["branch"],
            "base": "${DEFAULT_BRANCH}",
            "body": packet.summary,
        },
    }


RENDERERS = {
    ActionType.jira_ticket: jira_request,
    ActionType.teams_notification: teams_request,
    ActionType.github_pr: github_request,
}


def render_requests(packet: IncidentPacketV1, plan: ActionPlanV1) -> dict[str, dict[str, Any]]:
    return {a.action_id: RENDERERS[a.action_type](packet, a) for a in plan.actions}
