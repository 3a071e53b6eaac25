"""Charts stage: a PNG per metric finding, stored beside the packet and compared on replay.

``charts/{incident_id}/{run_id}/{finding_id}.png`` (sha256 in the object metadata) plus
``charts/{incident_id}/{run_id}/index.json``. The packet does not reference its charts: charts
are derived from the packet and its evidence (so a matplotlib upgrade can never change a packet),
and their keys and sha256s are recorded in the index, the ``incident_packet`` materialization and
the action results instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.evidence import MetricsEvidenceV1
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.charts.metric_charts import Chart, LoadMetrics, chart_filename, charted, render_charts
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.stores.keys import chart_key, charts_index_key, replay_chart_key
from opsrunbook_dagster.stores.objects import ObjectMissing

PNG = "image/png"


@dataclass(frozen=True)
class StoredChart:
    finding_id: str
    title: str
    key: str
    sha256: str
    png: bytes = field(repr=False)

    @property
    def filename(self) -> str:
        return chart_filename(self.finding_id)

    def summary(self) -> dict[str, object]:
        return {
            "finding_id": self.finding_id,
            "title": self.title,
            "key": self.key,
            "sha256": self.sha256,
            "bytes": len(self.png),
        }


@dataclass(frozen=True)
class ChartsOutcome:
    charts: list[StoredChart]
    index_key: str
    replayed: bool = False
    match: bool = True
    divergent_keys: list[str] = field(default_factory=list)


def metrics_loader(deps: PipelineDeps) -> LoadMetrics:
    cache: dict[str, MetricsEvidenceV1] = {}

    def load(key: str, sha256: str) -> MetricsEvidenceV1:
        if key not in cache:
            cache[key] = deps.objects.get_model(key, MetricsEvidenceV1, expected_sha256=sha256)
        return cache[key]

    return load


def _stored(packet: IncidentPacketV1, chart: Chart) -> StoredChart:
    key = chart_key(packet.incident_id, packet.run_id, chart.finding_id)
    return StoredChart(chart.finding_id, chart.title, key, chart.sha256, chart.png)


def _index(deps: PipelineDeps, packet: IncidentPacketV1, charts: list[StoredChart]) -> str:
    key = charts_index_key(packet.incident_id, packet.run_id)
    deps.objects.put_json(key, {"charts": [c.summary() for c in charts]})
    return key


def chart_stage(deps: PipelineDeps, packet: IncidentPacketV1) -> ChartsOutcome:
    """Render every chart. New ones are stored; an existing one (a replay) is compared byte for
    byte and kept, a differing rebuild goes under ``replays/charts/…``."""
    rendered = [_stored(packet, c) for c in render_charts(packet, metrics_loader(deps))]
    replayed, divergent = False, []
    for chart in rendered:
        try:
            existing = deps.objects.get_bytes(chart.key)
        except ObjectMissing:
            deps.objects.put_bytes(chart.key, chart.png, content_type=PNG)
            continue
        replayed = True
        if existing != chart.png:
            copy = replay_chart_key(packet.incident_id, packet.run_id, chart.finding_id, chart.sha256)
            deps.objects.put_bytes(copy, chart.png, content_type=PNG)
            divergent.append(copy)
    return ChartsOutcome(rendered, _index(deps, packet, rendered), replayed, not divergent, divergent)


def stored_charts(deps: PipelineDeps, packet: IncidentPacketV1) -> list[StoredChart]:
    """The run's charts as stored by the packet stage; any missing (a packet stored before charts
    existed, or built outside Dagster) are rendered and stored now."""
    found: dict[str, StoredChart] = {}
    for finding in charted(packet):
        key = chart_key(packet.incident_id, packet.run_id, finding.id)
        try:
            body = deps.objects.get_bytes(key)
        except ObjectMissing:
            continue
        found[finding.id] = StoredChart(
            finding.id, finding.title, key, Chart(finding.id, "", body).sha256, body
        )
    missing = {f.id for f in charted(packet)} - set(found)
    if missing:
        for chart in render_charts(packet, metrics_loader(deps), only=missing):
            stored = _stored(packet, chart)
            deps.objects.put_bytes(stored.key, stored.png, content_type=PNG)
            found[stored.finding_id] = stored
        _index(deps, packet, [found[f.id] for f in charted(packet) if f.id in found])
    return [found[f.id] for f in charted(packet) if f.id in found]
