"""Microsoft Teams (Workflows webhook) message: an Adaptive Card v1.5 in the Workflows envelope.

The envelope stays under ``MAX_BYTES`` (Teams rejects messages over ~28 KB): findings are cut
first, then shortened; the title, facts and the link buttons are never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from contracts.packet import Finding, IncidentPacketV1
from opsrunbook_dagster.planning.planner import actionable

MAX_BYTES = 28_000
MAX_FINDINGS = 5
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
_SEVERITY_COLOR = {"critical": "Attention", "warning": "Warning", "info": "Accent"}


def _finding_block(rank: int, finding: Finding, limit: int) -> dict[str, Any]:
    line = f"{rank}. **{finding.title}** — {finding.kind.value}, confidence {finding.confidence:.2f}"
    detail = f"{finding.resource} · {finding.summary}"
    return {
        "type": "Container",
        "items": [
            {"type": "TextBlock", "text": line[:limit], "wrap": True},
            {"type": "TextBlock", "text": detail[:limit], "wrap": True, "isSubtle": True, "spacing": "None"},
        ],
    }


def card(
    packet: IncidentPacketV1,
    title: str,
    links: Mapping[str, str],
    findings_shown: int = MAX_FINDINGS,
    text_limit: int = 600,
) -> dict[str, Any]:
    findings = actionable(packet)
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": title[:255], "wrap": True},
        {
            "type": "TextBlock",
            "text": f"Severity: {packet.severity.value.upper()}",
            "color": _SEVERITY_COLOR[packet.severity.value],
            "weight": "Bolder",
            "spacing": "Small",
        },
        {"type": "TextBlock", "text": packet.summary[:text_limit] or "-", "wrap": True},
        {
            "type": "FactSet",
            "facts": [
                {"title": "Service", "value": packet.service},
                {"title": "Environment", "value": packet.environment},
                {"title": "Severity", "value": packet.severity.value},
                {"title": "Incident", "value": packet.incident_id},
                {"title": "Run", "value": packet.run_id},
                {"title": "Findings", "value": str(len(findings))},
            ],
        },
    ]
    shown = findings[: min(findings_shown, MAX_FINDINGS)]
    if shown:
        body.append({"type": "TextBlock", "text": "Top findings", "weight": "Bolder", "separator": True})
        body += [_finding_block(rank, f, text_limit) for rank, f in enumerate(shown, start=1)]
    if len(findings) > len(shown):
        body.append({"type": "TextBlock", "text": f"+{len(findings) - len(shown)} more", "isSubtle": True})
    actions = [{"type": "Action.OpenUrl", "title": label, "url": url} for label, url in links.items() if url]
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return content


def envelope(content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": content}]}


def size_of(message: dict[str, Any]) -> int:
    return len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def teams_message(packet: IncidentPacketV1, title: str, links: Mapping[str, str]) -> dict[str, Any]:
    """The envelope, shrunk until it fits: fewer findings, then shorter texts; links always kept."""
    for limit in (600, 300, 120):
        for shown in range(MAX_FINDINGS, -1, -1):
            message = envelope(card(packet, title, links, shown, limit))
            if size_of(message) <= MAX_BYTES:
                return message
    message = envelope(card(packet, title[:120], links, 0, 80))
    if size_of(message) > MAX_BYTES:
        raise ValueError("Teams card does not fit in 28 KB even without findings")
    return message
