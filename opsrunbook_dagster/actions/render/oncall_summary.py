"""What an on-call engineer sees first in the Dagster UI: the packet's top findings, suspected
owners, links, and the charts of its metric findings inline (``data:`` URIs, since the chart
endpoint needs an API key an ``<img>`` cannot send). Evidence text is escaped (``md_escape``)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.actions.render.findings_table import findings_table
from opsrunbook_dagster.actions.render.markdown_escape import md_text

MAX_FINDINGS = 5
MAX_CHARTS = 3  # each inline chart is ~40 KB of base64 in the event log


@dataclass(frozen=True)
class InlineChart:
    finding_id: str
    title: str
    png: bytes


def packet_api_links(api_base: str, packet: IncidentPacketV1, chart_ids: Sequence[str]) -> dict[str, str]:
    base = f"{api_base.rstrip('/')}/v1/incidents/{packet.incident_id}"
    links = {"Packet (API)": f"{base}/packet/{packet.run_id}", "Actions (API)": f"{base}/actions/latest"}
    links.update({f"Chart {fid} (API)": f"{base}/charts/{fid}.png" for fid in chart_ids})
    return links


def oncall_markdown(packet: IncidentPacketV1, charts: Sequence[InlineChart], links: Mapping[str, str]) -> str:
    window = f"{packet.window.start:%Y-%m-%d %H:%M} to {packet.window.end:%Y-%m-%d %H:%M} UTC"
    lines = [
        f"**{md_text(packet.summary)}**",
        "",
        f"{md_text(packet.service)} ({md_text(packet.environment)}) · severity **{packet.severity.value}** · "
        f"{window} · {len(packet.findings)} finding(s)",
        "",
        "#### Top findings",
        "",
        *findings_table(packet.findings, MAX_FINDINGS, with_refs=False),
        "",
        "#### Suspected owners",
        "",
    ]
    for owner in packet.suspected_owners[:5]:
        who = md_text(owner.repo or owner.team or "-")
        why = md_text("; ".join(owner.reasons[:2]))
        lines.append(f"- **{who}** ({owner.method}, {owner.confidence:.2f}){': ' + why if why else ''}")
    if not packet.suspected_owners:
        lines.append("- none resolved")
    if links:
        lines += ["", "#### Links", ""]
        lines += [f"- [{md_text(label)}]({url})" for label, url in links.items() if url]
    if charts:
        lines += ["", "#### Charts", ""]
    for chart in charts[:MAX_CHARTS]:
        data = base64.b64encode(chart.png).decode("ascii")
        lines += [
            f"**{md_text(chart.title)}**",
            "",
            f"![chart {chart.finding_id}](data:image/png;base64,{data})",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
