"""Atlassian Document Format (Jira Cloud REST v3 bodies) for an incident packet.

Every node built here validates against the published ADF JSON schema (the Jira fake checks it):
no empty text nodes, marks only where the schema allows them, tables with a header row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.packet import Finding, IncidentPacketV1
from opsrunbook_dagster.planning.planner import actionable, code_language

MAX_FINDINGS = 10
MAX_REFS = 3
MAX_NEXT_ACTIONS = 6
MAX_CODE = 4000
Node = dict[str, Any]


def text(value: str, *, strong: bool = False, href: str | None = None, code: bool = False) -> Node:
    node: Node = {"type": "text", "text": value if value.strip() else "-"}
    marks: list[Node] = []
    if strong:
        marks.append({"type": "strong"})
    if code:
        marks.append({"type": "code"})
    if href:
        marks.append({"type": "link", "attrs": {"href": href}})
    if marks:
        node["marks"] = marks
    return node


def paragraph(*parts: Node | str) -> Node:
    content = [text(p) if isinstance(p, str) else p for p in parts if p != ""]
    return {"type": "paragraph", "content": content or [text("-")]}


def heading(value: str, level: int = 2) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": [text(value)]}


def code_block(value: str, language: str = "shell") -> Node:
    return {"type": "codeBlock", "attrs": {"language": language}, "content": [text(value[:MAX_CODE])]}


def bullet_list(items: list[list[Node]]) -> Node:
    return {"type": "bulletList", "content": [{"type": "listItem", "content": item} for item in items]}


def table(header: list[str], rows: list[list[str]]) -> Node:
    def row(cells: list[str], kind: str) -> Node:
        return {
            "type": "tableRow",
            "content": [{"type": kind, "content": [paragraph(c)]} for c in cells],
        }

    return {
        "type": "table",
        "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
        "content": [row(header, "tableHeader"), *[row(r, "tableCell") for r in rows]],
    }


def doc(content: list[Node]) -> Node:
    return {"type": "doc", "version": 1, "content": content}


def _findings_table(findings: list[Finding]) -> Node:
    rows = [
        [str(rank), f.kind.value, f"{f.confidence:.2f}", f.resource[:200], f.title[:200]]
        for rank, f in enumerate(findings[:MAX_FINDINGS], start=1)
    ]
    return table(["#", "kind", "confidence", "resource", "finding"], rows)


def _finding_details(findings: list[Finding]) -> Node:
    items = []
    for finding in findings[:MAX_FINDINGS]:
        refs = [
            [
                paragraph(
                    text(f"{r.collector}: {r.s3_key}#{r.pointer}", code=True), f" sha256 {r.sha256[:12]}…"
                )
            ]
            for r in finding.evidence_refs[:MAX_REFS]
        ]
        item: list[Node] = [
            paragraph(text(finding.title, strong=True)),
            paragraph(finding.summary[:1000]),
        ]
        if refs:
            item.append(bullet_list(refs))
        items.append(item)
    return bullet_list(items)


def _links(links: Mapping[str, str]) -> list[Node]:
    shown = [(label, url) for label, url in links.items() if url]
    if not shown:
        return []
    return [heading("Links", 3), bullet_list([[paragraph(text(label, href=url))] for label, url in shown])]


def _charts(charts: Sequence[tuple[str, str]]) -> list[Node]:
    """Attached charts by file name (ADF media nodes need Jira media ids, which the REST
    attachment API does not return; the attachment panel shows each file by this name)."""
    if not charts:
        return []
    items = [[paragraph(text(name, code=True), f" {title[:200]}")] for name, title in charts]
    return [heading("Charts (attached)", 3), bullet_list(items)]


def adf_description(
    packet: IncidentPacketV1,
    links: Mapping[str, str] | None = None,
    charts: Sequence[tuple[str, str]] = (),
) -> Node:
    """Issue description: summary, findings table, details with evidence refs, next actions, links."""
    findings = actionable(packet)
    content: list[Node] = [
        heading("Summary"),
        paragraph(packet.summary),
        paragraph(
            text("Service: ", strong=True),
            f"{packet.service} ({packet.environment}) · ",
            text("Severity: ", strong=True),
            f"{packet.severity.value} · ",
            text("Incident: ", strong=True),
            text(packet.incident_id, code=True),
        ),
        heading("Findings"),
    ]
    if findings:
        content += [_findings_table(findings), heading("Evidence", 3), _finding_details(findings)]
    else:
        content.append(paragraph("No actionable findings."))
    if packet.next_actions:
        content.append(heading("Next actions"))
        for action in packet.next_actions[:MAX_NEXT_ACTIONS]:
            content += [
                paragraph(text(action.title, strong=True)),
                code_block(action.command, code_language(action)),
            ]
    content += _charts(charts)
    content += _links(links or {})
    return doc(content)


def adf_comment(
    packet: IncidentPacketV1,
    marker: str,
    previous: str | None,
    links: Mapping[str, str] | None = None,
    charts: Sequence[tuple[str, str]] = (),
) -> Node:
    """Comment posted when the finding set changed; ``marker`` makes it findable (exactly once)."""
    findings = actionable(packet)
    changed = f"The finding set changed (run {packet.run_id})"
    content: list[Node] = [
        heading("Finding set changed", 3),
        paragraph(changed + (f"; previously {previous}." if previous else ".")),
        paragraph(packet.summary),
    ]
    if findings:
        content.append(_findings_table(findings))
    content += _charts(charts)
    content += _links(links or {})
    content.append(paragraph(text(marker, code=True)))
    return doc(content)


def adf_plain_text(node: Any) -> str:
    """All text of an ADF node, concatenated (used to find markers in comments)."""
    if isinstance(node, dict):
        own = node.get("text", "") if node.get("type") == "text" else ""
        return own + "".join(adf_plain_text(c) for c in node.get("content", []) or [])
    if isinstance(node, list):
        return "".join(adf_plain_text(c) for c in node)
    return ""
