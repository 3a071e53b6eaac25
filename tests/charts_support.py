"""A packet with a metric finding whose series is stored, so charts can be drawn for it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from contracts.canonical import canonical_json, sha256_hex
from contracts.evidence import MetricsEvidenceV1
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from tests import factories
from tests.actions_support import packet

POINTS, INCIDENT_POINTS = 48, 6  # 5-minute points; the last 6 are the incident window


def metrics_key(incident_id: str, run_id: str) -> str:
    return f"evidence/{incident_id}/{run_id}/metrics.json"


def metrics_evidence(incident_id: str, run_id: str, level: float = 95.0) -> MetricsEvidenceV1:
    start = factories.NOW - timedelta(minutes=5 * POINTS)
    times = [(start + timedelta(minutes=5 * i)).isoformat() for i in range(POINTS)]
    base = [30.0 + (i % 4) for i in range(POINTS - INCIDENT_POINTS)]
    values = base + [level + (i % 3) for i in range(INCIDENT_POINTS)]
    window = {"start": times[POINTS - INCIDENT_POINTS], "end": factories.NOW.isoformat()}
    spec = {
        "id": "m0",
        "namespace": "AWS/EC2",
        "metric": "CPUUtilization",
        "dimensions": {"InstanceId": "i-0abc"},
        "stat": "Average",
        "period": 300,
        "label": "CPU",
    }
    series = {"id": "m0", "label": "CPU", "status_code": "Complete", "timestamps": times, "values": values}
    return MetricsEvidenceV1.model_validate(
        {"incident_id": incident_id, "run_id": run_id, "window": window, "period_seconds": 300,
         "specs": [spec], "series": [series]}
    )  # fmt: skip


def metric_finding(
    evidence: MetricsEvidenceV1, key: str, title: str = "i-0abc: CPU anomalous"
) -> dict[str, Any]:
    times = evidence.series[0].timestamps
    sha = sha256_hex(canonical_json(evidence))
    return factories.finding(
        kind="metric_anomaly",
        title=title,
        resource="i-0abc",
        confidence=0.8,
        count=None,
        baseline_count=None,
        evidence_refs=[{"collector": "metrics", "s3_key": key, "sha256": sha, "pointer": "/series/0"}],
        metric={
            "series_id": "m0",
            "scale": "level",
            "points": INCIDENT_POINTS,
            "baseline_start": times[0].isoformat(),
            "baseline_median": 31.5,
            "lower": 27.0,
            "upper": 36.0,
            "value": 96.0,
            "anomaly_start": times[POINTS - INCIDENT_POINTS].isoformat(),
            "anomaly_end": times[-1].isoformat(),
        },
    )


def chart_packet(
    deps: PipelineDeps, incident_id: str, run_id: str = "r0123456789ab", **extra: Any
) -> IncidentPacketV1:
    """A packet (log finding + metric finding) whose metrics evidence is stored in S3."""
    evidence = metrics_evidence(incident_id, run_id, **extra)
    key = metrics_key(incident_id, run_id)
    deps.objects.put_json(key, evidence)
    pkt = packet(incident_id, run_id)
    doc = pkt.model_dump(mode="json", exclude={"packet_hashes"})
    doc["findings"].append(metric_finding(evidence, key))
    return IncidentPacketV1.model_validate(doc).with_hashes()
