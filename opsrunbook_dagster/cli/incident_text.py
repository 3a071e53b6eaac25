"""Plain-text renderings for a terminal: the incident list as a table, one run's packet as a report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opsrunbook_dagster.pipeline.incident_view import TOP_FINDINGS, IncidentView

LIST_COLUMNS = (
    ("CREATED", "created_at"),
    ("INCIDENT", "incident_id"),
    ("STATUS", "status"),
    ("SEVERITY", "severity"),
    ("SERVICE", "service"),
    ("ENV", "environment"),
    ("TITLE", "title"),
)
MAX_CELL = 60


def _cell(value: Any) -> str:
    text = " ".join(str(value if value is not None else "-").split()) or "-"
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def incidents_table(rows: Sequence[dict[str, Any]]) -> str:
    """One line per incident under a header, columns padded to their widest cell."""
    if not rows:
        return "no incidents"
    cells = [[title for title, _ in LIST_COLUMNS]]
    cells += [[_cell(row.get(name)) for _, name in LIST_COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(LIST_COLUMNS))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    )


def _section(title: str, lines: list[str]) -> list[str]:
    return ["", title, *lines] if lines else []


def incident_report(view: IncidentView) -> str:
    """The packet as an on-call engineer reads it: what, why, what to do, who, what is unknown, where."""
    meta, packet = view.meta, view.packet
    status = (view.run or meta).get("status", "?")
    head = [
        f"{view.incident_id} · run {view.run_id} · {status}",
        f"{meta.get('service', '?')} ({meta.get('environment', '?')}) · severity {meta.get('severity', '?')}"
        + (f" · {meta['title']}" if meta.get("title") else ""),
    ]
    reason = (view.run or {}).get("reason") or meta.get("reason")
    if reason:
        head.append(f"reason: {reason}")
    if packet is None:
        return "\n".join([*head, "", "no packet yet (the run has not analysed its evidence)", *_links(view)])
    head += [
        f"window: {packet.window.start.isoformat()} → {packet.window.end.isoformat()}",
        "",
        packet.summary,
    ]
    findings = []
    ranks = {f.id: rank for rank, f in enumerate(packet.findings, start=1)}
    for rank, finding in enumerate(packet.findings[:TOP_FINDINGS], start=1):
        findings.append(f"{rank}. [{finding.severity.value} · {finding.confidence:.2f}] {finding.title}")
        if finding.summary and finding.summary != finding.title:
            findings.append(f"   {finding.summary}")
        findings += [f"   caused by #{ranks[link.finding_id]} ({link.reason})" for link in finding.caused_by]
        findings += [f"   explains #{ranks[link.finding_id]} ({link.reason})" for link in finding.explains]
        findings += [f"   > {line}" for line in view.excerpts.get(finding.id, [])]
    more = len(packet.findings) - TOP_FINDINGS
    if more > 0:
        findings.append(f"   … and {more} more (opsrunbook show {view.incident_id} --json)")
    hypotheses = [f"- {h.statement} ({h.confidence:.2f})" for h in packet.hypotheses]
    actions = []
    for action in packet.next_actions:
        actions.append(f"- {action.title}")
        actions += [f"    $ {line}" for line in action.command.splitlines() if line.strip()]
    owners = [
        f"- {o.team or '?'} / {o.repo or '?'} ({o.method}, {o.confidence:.2f})"
        + (f": {'; '.join(o.reasons)}" if o.reasons else "")
        for o in packet.suspected_owners
    ]
    limits = [f"- {item.code}: {item.message}" for item in packet.limits]
    return "\n".join(
        [
            *head,
            *_section("Top findings", findings),
            *_section("Hypotheses", hypotheses),
            *_section("Next actions", actions),
            *_section("Suspected owners", owners),
            *_section("Limits", limits),
            *_actions(view),
            *_links(view),
        ]
    )


def _actions(view: IncidentView) -> list[str]:
    lines = [
        f"- {r.get('action_type')}: {r.get('status')}" + (f" ({r['reason']})" if r.get("reason") else "")
        for r in view.results
    ]
    return _section("Actions", lines)


def _links(view: IncidentView) -> list[str]:
    return _section("Links", [f"- {label}: {url}" for label, url in view.links])
