"""Which findings get a chart, and what each chart shows: metric findings (they carry the band
they were judged against), their series from the stored metric evidence the finding cites."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from contracts.canonical import sha256_hex
from contracts.evidence import MetricsEvidenceV1
from contracts.packet import Finding, IncidentPacketV1
from opsrunbook_dagster.charts.render import ChartInput, render_png

#: Loads a metrics evidence object by S3 key, verified against the sha256 the finding cites.
LoadMetrics = Callable[[str, str], MetricsEvidenceV1]


@dataclass(frozen=True)
class Chart:
    finding_id: str
    title: str
    png: bytes

    @property
    def filename(self) -> str:
        return chart_filename(self.finding_id)

    @cached_property
    def sha256(self) -> str:
        return sha256_hex(self.png)


def chart_filename(finding_id: str) -> str:
    """The one name a chart has everywhere: S3, the Jira attachment, the file in the PR."""
    return f"{finding_id}.png"


def charted(packet: IncidentPacketV1) -> list[Finding]:
    """The findings that get a chart, in packet (rank) order."""
    return [f for f in packet.findings if f.metric is not None]


def chart_input(finding: Finding, packet: IncidentPacketV1, load: LoadMetrics) -> ChartInput | None:
    band = finding.metric
    ref = next((r for r in finding.evidence_refs if r.collector == "metrics"), None)
    if band is None or ref is None:
        return None
    evidence = load(ref.s3_key, ref.sha256)
    judged = evidence.season_series if band.series_set == "season_series" else evidence.series
    series = next((s for s in judged if s.id == band.series_id), None)
    spec = next((s for s in evidence.specs if s.id == band.series_id), None)
    if series is None or not series.values:
        return None
    unit = f"{spec.metric} ({spec.stat})" if spec else series.label
    return ChartInput(
        title=finding.title,
        unit_label=unit,
        series=series,
        band=band,
        window_start=packet.window.start,
        window_end=packet.window.end,
    )


def render_charts(packet: IncidentPacketV1, load: LoadMetrics, only: set[str] | None = None) -> list[Chart]:
    """Charts of the packet's metric findings (``only``: just these finding ids)."""
    charts = []
    for finding in charted(packet):
        if only is not None and finding.id not in only:
            continue
        chart = chart_input(finding, packet, load)
        if chart is not None:
            charts.append(Chart(finding.id, finding.title, render_png(chart)))
    return charts
