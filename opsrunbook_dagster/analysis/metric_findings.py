"""Findings from metric evidence: level shifts and spikes against a robust (median/MAD) baseline."""

from __future__ import annotations

from contracts._base import Severity
from contracts.evidence import MetricSeries, MetricSpec
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.stats import clamp, mad, median

#: Metrics where only an increase is bad, and where only a decrease is.
UP_IS_BAD = (
    "Errors",
    "Throttles",
    "Duration",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
    "ExecutionThrottled",
    "ThrottledRequests",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "SystemErrors",
    "UserErrors",
    "5XX",
    "4XX",
    "Latency",
    "IteratorAge",
    "DeadLetterErrors",
    "ConcurrentExecutions",
    "ApproximateAgeOfOldestMessage",
)
DOWN_IS_BAD = ("Invocations", "ExecutionsSucceeded", "HealthyHostCount")
THROTTLE_METRICS = (
    "Throttles",
    "ThrottledRequests",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "ExecutionThrottled",
)
MIN_BASELINE_POINTS = 6
MIN_INCIDENT_POINTS = 3
LEVEL_Z = 4.0
SPIKE_Z = 8.0


def _direction(metric: str) -> int:
    if any(metric.endswith(name) or metric == name for name in UP_IS_BAD):
        return 1
    if metric in DOWN_IS_BAD:
        return -1
    return 0


def subject_of(spec: MetricSpec) -> str:
    if not spec.dimensions:
        return spec.namespace
    value = next(iter(sorted(spec.dimensions.items())))[1]
    return value.rsplit(":", 1)[-1] if value.startswith("arn:") else value


def _split(series: MetricSeries, window_start: float) -> tuple[list[int], list[int]]:
    baseline = [i for i, t in enumerate(series.timestamps) if t.timestamp() < window_start]
    incident = [i for i, t in enumerate(series.timestamps) if t.timestamp() >= window_start]
    return baseline, incident


def analyse_series(
    spec: MetricSpec, series: MetricSeries, window_start: float
) -> tuple[float, int, str] | None:
    """(robust z, index of the most anomalous incident point, description) or None when normal."""
    baseline_idx, incident_idx = _split(series, window_start)
    if len(baseline_idx) < MIN_BASELINE_POINTS or len(incident_idx) < MIN_INCIDENT_POINTS:
        return None
    base = [series.values[i] for i in baseline_idx]
    inc = [series.values[i] for i in incident_idx]
    centre = median(base)
    scale = max(mad(base, centre), 0.05 * abs(centre), 1e-6)
    floor = 1.0 if spec.stat in ("Sum", "SampleCount") else 0.0
    direction = _direction(spec.metric)
    level = median(inc) - centre
    best = max(
        incident_idx,
        key=lambda i: (
            (direction or 1) * (series.values[i] - centre) if direction else abs(series.values[i] - centre)
        ),
    )
    peak = series.values[best] - centre
    if direction:
        level, peak = level * direction, peak * direction
    else:
        level, peak = abs(level), abs(peak)
    z_level, z_peak = level / scale, peak / scale
    extreme = sum(
        1
        for v in inc
        if abs(v - centre) / scale >= LEVEL_Z and (direction == 0 or (v - centre) * direction > 0)
    )
    if z_level >= LEVEL_Z and level >= floor:
        return z_level, best, f"level shift: median {median(inc):.4g} vs baseline median {centre:.4g}"
    if z_peak >= SPIKE_Z and extreme >= 2 and peak >= floor:
        return z_peak, best, f"spike: {series.values[best]:.4g} vs baseline median {centre:.4g}"
    return None


def metric_drafts(handles: EvidenceHandles) -> list[Draft]:
    evidence = handles.metrics
    if evidence is None:
        return []
    specs = {s.id: s for s in evidence.specs}
    window_start = evidence.window.start.timestamp()
    drafts = []
    for index, series in enumerate(evidence.series):
        spec = specs.get(series.id)
        if spec is None:
            continue
        result = analyse_series(spec, series, window_start)
        if result is None:
            continue
        z, point, description = result
        subject = subject_of(spec)
        kind = FindingKind.throttling if spec.metric in THROTTLE_METRICS else FindingKind.metric_anomaly
        drafts.append(
            Draft(
                kind=kind,
                title=f"{subject}: {spec.metric} ({spec.stat}) anomalous",
                summary=f"{spec.namespace} {spec.metric} {spec.stat} for {subject}: {description} (robust z={z:.1f}).",
                resource=subject if spec.dimensions else f"{spec.namespace}/{spec.metric}",
                subject=subject,
                severity=Severity.critical if z >= 20 else Severity.warning,
                confidence=clamp(0.45 + 0.02 * z, 0.0, 0.85),
                refs=[
                    handles.ref("metrics", f"/series/{index}"),
                    handles.ref("metrics", f"/series/{index}/values/{point}"),
                ],
                signature=f"{spec.namespace}/{spec.metric}/{spec.stat}",
                first_seen=series.timestamps[point],
                last_seen=series.timestamps[point],
            )
        )
    return drafts
