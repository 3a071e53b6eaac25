"""Markdown renderings of a packet for GitHub: the incident file and the pull-request body.

Both are deterministic for a packet (no wall-clock values), so rewriting an unchanged file is a
no-op and a retried run produces byte-identical content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from contracts.packet import Finding, IncidentPacketV1
from opsrunbook_dagster.actions.render.markdown_escape import md_code, md_url
from opsrunbook_dagster.actions.render.markdown_escape import md_text as _cell
from opsrunbook_dagster.planning.planner import actionable, code_fence, code_language


def _refs(finding: Finding, limit: int = 5) -> list[str]:
    return [
        f"  - {md_code(f'{r.collector}: {r.s3_key}#{r.pointer}')} (sha256 `{r.sha256[:12]}…`)"
        for r in finding.evidence_refs[:limit]
    ]


def _findings_table(findings: list[Finding]) -> list[str]:
    lines = ["| # | kind | confidence | resource | finding |", "|---|---|---|---|---|"]
    for rank, f in enumerate(findings, start=1):
        lines.append(
            f"| {rank} | {f.kind.value} | {f.confidence:.2f} | {md_code(f.resource)} | {_cell(f.title)} |"
        )
    return lines


def incident_markdown(packet: IncidentPacketV1, charts: Sequence[tuple[str, str]] = ()) -> str:
    """The whole packet as a document (``incidents/<incident_id>.md``); ``charts`` (file name,
    title) are committed beside it under ``incidents/<incident_id>/`` and embedded by relative link."""
    findings = actionable(packet)
    window = f"{packet.window.start.isoformat()} to {packet.window.end.isoformat()}"
    lines = [
        f"# Incident {_cell(packet.incident_id)}",
        "",
        _cell(packet.summary),
        "",
        f"- **Service:** {_cell(packet.service)} ({_cell(packet.environment)})",
        f"- **Severity:** {packet.severity.value}",
        f"- **Run:** {_cell(packet.run_id)}",
        f"- **Window:** {window}",
        f"- **Packet sha256:** `{packet.packet_hashes.content_sha256 if packet.packet_hashes else '-'}`",
        "",
        "## Findings",
        "",
    ]
    if findings:
        lines += [*_findings_table(findings), ""]
        for rank, f in enumerate(findings, start=1):
            lines += [f"### {rank}. {_cell(f.title)}", "", _cell(f.summary), "", "Evidence:", *_refs(f), ""]
    else:
        lines += ["No actionable findings.", ""]
    if charts:
        lines += ["## Charts", ""]
        for name, title in charts:
            alt = _cell(title).replace("[", "\\[").replace("]", "\\]")
            lines += [f"![{alt}]({packet.incident_id}/{name})", ""]
    if packet.hypotheses:
        lines += ["## Hypotheses", ""]
        lines += [f"- {_cell(h.statement)} (confidence {h.confidence:.2f})" for h in packet.hypotheses]
        lines.append("")
    if packet.next_actions:
        lines += ["## Next actions", ""]
        for action in packet.next_actions:
            fence = code_fence(action.command)
            lines += [
                f"**{_cell(action.title)}**",
                "",
                f"{fence}{code_language(action)}",
                action.command,
                fence,
                "",
            ]
    if packet.suspected_owners:
        lines += ["## Suspected owners", ""]
        for owner in packet.suspected_owners:
            who = _cell(owner.repo or owner.team or "-")
            lines.append(
                f"- {who} ({owner.method}, {owner.confidence:.2f}): {_cell('; '.join(owner.reasons))}"
            )
        lines.append("")
    if packet.limits:
        lines += ["## Limits", ""]
        lines += [f"- {md_code(limit.code)} {_cell(limit.message)}" for limit in packet.limits]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def pr_title(packet: IncidentPacketV1) -> str:
    findings = actionable(packet)
    top = findings[0].title if findings else packet.summary
    return f"Incident {packet.incident_id}: {top}"[:256]


def pr_body(packet: IncidentPacketV1, path: str, finding_set_sha256: str, links: Mapping[str, str]) -> str:
    findings = actionable(packet)[:5]
    lines = [
        f"OpsRunbook opened this pull request for incident **{_cell(packet.incident_id)}** "
        f"({_cell(packet.service)}, {_cell(packet.environment)}, severity {packet.severity.value}).",
        "",
        _cell(packet.summary),
        "",
        f"The full analysis is in {md_code(path)}.",
        "",
        "## Top findings",
        "",
    ]
    for rank, f in enumerate(findings, start=1):
        lines += [
            f"{rank}. **{_cell(f.title)}** ({f.kind.value}, confidence {f.confidence:.2f})",
            *_refs(f, 3),
        ]
    if not findings:
        lines.append("No actionable findings.")
    shown = [(label, url) for label, url in links.items() if url]
    if shown:
        lines += ["", "## Links", "", *[f"- [{_cell(label)}]({md_url(url)})" for label, url in shown]]
    lines += ["", f"<!-- opsrunbook incident={packet.incident_id} fs={finding_set_sha256[:12]} -->"]
    return "\n".join(lines)[:60000]
