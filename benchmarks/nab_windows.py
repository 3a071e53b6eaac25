"""Metric anomaly detection on the labelled windows of NAB's realAWSCloudwatch series.

For every series and labelled window the metric evidence is built as the metrics collector would:
the labelled window is the incident window (capped at the contract's 7 days; no NAB window comes
near it), the baseline is the ``metric_lookback(window)`` of points before it, at
``metric_period(window)`` (5 minutes for every window here, the series' own period), one
``MetricSpec`` named after the file (``ec2_cpu_utilization_*`` -> AWS/EC2 CPUUtilization,
``elb_request_count_*`` -> AWS/ELB RequestCount, ...; stat Average). The packet's own metric
analysis (``metric_drafts``) runs on it; a **hit** is a finding on that metric inside the window.

**Negative controls**: windows as long as the series' labelled ones, laid end to end over the
rest of the series, each at least a day away from every labelled window, with a baseline that does
not overlap one (so it is normal data too) and lies inside the series. A finding there is a false
alarm. A series without labels gets controls of NAB's window length for one anomaly (10% of it).

Data: ``$OPSRUNBOOK_BENCH_DATA`` (default ``../shared/bench-data``), ``nab-aws/*.csv`` and
``combined_windows.json``. Writes benchmarks/results/nab.json; run with
``python -m benchmarks.nab_windows``; with ``--check`` it exits 1 when the target (recall >= 0.90
with a false-alarm rate <= 0.10) is missed.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contracts._base import TimeWindow
from contracts.evidence import MetricSeries, MetricsEvidenceV1, MetricSpec, SourceResult, SourceStatus
from contracts.incident_event import MAX_WINDOW
from opsrunbook_dagster.analysis.metric_findings import metric_drafts
from opsrunbook_dagster.collectors.budgets import metric_lookback, metric_period
from opsrunbook_dagster.pipeline.snapshot import handles_in_memory

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "nab.json"
GAP = timedelta(days=1)
TARGET_RECALL, TARGET_FALSE_ALARMS = 0.90, 0.10
#: file-name prefix -> (namespace, metric, dimension name)
METRICS = (
    ("ec2_cpu_utilization", ("AWS/EC2", "CPUUtilization", "InstanceId")),
    ("ec2_disk_write_bytes", ("AWS/EC2", "DiskWriteBytes", "InstanceId")),
    ("ec2_network_in", ("AWS/EC2", "NetworkIn", "InstanceId")),
    ("elb_request_count", ("AWS/ELB", "RequestCount", "LoadBalancerName")),
    ("rds_cpu_utilization", ("AWS/RDS", "CPUUtilization", "DBInstanceIdentifier")),
    ("grok_asg_anomaly", ("AWS/EC2", "CPUUtilization", "AutoScalingGroupName")),
    ("iio_", ("AWS/EC2", "NetworkIn", "InstanceId")),
)


@dataclass(frozen=True)
class Series:
    name: str
    times: list[datetime]
    values: list[float]
    windows: list[TimeWindow]


def data_dir() -> Path:
    return Path(os.environ.get("OPSRUNBOOK_BENCH_DATA", str(REPO.parent / "shared" / "bench-data")))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()[:19]).replace(tzinfo=UTC)


def load_series() -> list[Series]:
    root = data_dir() / "nab-aws"
    labelled = json.loads((root / "combined_windows.json").read_text())
    out = []
    for key in sorted(labelled):
        name = key.split("/", 1)[1]
        with (root / name).open(newline="") as handle:
            rows = [(_utc(r["timestamp"]), float(r["value"])) for r in csv.DictReader(handle)]
        rows.sort()
        windows = [TimeWindow(start=_utc(a), end=_utc(b)) for a, b in labelled[key]]
        out.append(Series(name, [r[0] for r in rows], [r[1] for r in rows], windows))
    return out


def spec_for(name: str, period: int) -> MetricSpec:
    namespace, metric, dimension = next(m for prefix, m in METRICS if name.startswith(prefix))
    resource = name.rsplit(".", 1)[0].replace("_", "-")[:200]
    return MetricSpec(
        id="m0",
        namespace=namespace,
        metric=metric,
        dimensions={dimension: resource},
        stat="Average",
        period=period,
        label=f"{metric} {resource}",
    )


def _resample(
    points: list[tuple[datetime, float]], start: datetime, period: int
) -> list[tuple[datetime, float]]:
    """Average points into ``period``-second buckets from ``start`` (what GetMetricData returns)."""
    buckets: dict[int, list[float]] = {}
    for t, v in points:
        buckets.setdefault(int((t - start).total_seconds()) // period, []).append(v)
    return [(start + timedelta(seconds=k * period), sum(v) / len(v)) for k, v in sorted(buckets.items())]


def evidence(series: Series, window: TimeWindow) -> MetricsEvidenceV1:
    window = TimeWindow(start=window.start, end=min(window.end, window.start + MAX_WINDOW))
    period = metric_period(window)
    start = window.start - metric_lookback(window)
    points = [(t, v) for t, v in zip(series.times, series.values, strict=True) if start <= t < window.end]
    if period > 300:
        points = _resample(points, start, period)
    spec = spec_for(series.name, period)
    return MetricsEvidenceV1(
        incident_id="inc-nab",
        run_id="r000000000000",
        window=window,
        baseline_window=TimeWindow(start=start, end=window.start),
        collected_at=window.end,
        period_seconds=period,
        specs=[spec],
        series=[
            MetricSeries(
                id=spec.id,
                label=spec.label,
                status_code="Complete",
                timestamps=[p[0] for p in points],
                values=[round(p[1], 6) for p in points],
            )
        ],
        sources=[SourceResult(source=spec.label, status=SourceStatus.complete)],
    )


def finding(model: MetricsEvidenceV1) -> str | None:
    """The packet's metric analysis: the summary of a finding on the metric inside the window, if any."""
    handles = handles_in_memory({"metrics": model}, "nab", "bench")
    window = model.window
    inside = [
        d.summary
        for d in metric_drafts(handles)
        if d.first_seen is not None and window.start <= d.first_seen < window.end
    ]
    return inside[0] if inside else None


def controls(series: Series) -> list[TimeWindow]:
    """Normal windows: as long as the labelled ones, a day clear of them, baseline clear of them too."""
    first, last = series.times[0], series.times[-1] + timedelta(minutes=5)
    length = max((w.end - w.start for w in series.windows), default=(last - first) / 10)
    lookback = metric_lookback(TimeWindow(start=first, end=first + length))
    found = []
    start = first + lookback
    while start + length <= last:
        end = start + length
        if all(end + GAP <= w.start or start - GAP >= w.end for w in series.windows) and all(
            start <= w.start or start - lookback >= w.end for w in series.windows
        ):
            found.append(TimeWindow(start=start, end=end))
        start = end
    return found


def _row(window: TimeWindow, text: str | None) -> dict[str, object]:
    return {"start": window.start.isoformat(), "end": window.end.isoformat(), "finding": text}


def main() -> int:
    per_series: dict[str, dict[str, object]] = {}
    hits = positives = alarms = negatives = 0
    for series in load_series():
        found = [finding(evidence(series, w)) for w in series.windows]
        normal = controls(series)
        false = [finding(evidence(series, w)) for w in normal]
        hit, alarm = sum(f is not None for f in found), sum(f is not None for f in false)
        hits, positives = hits + hit, positives + len(found)
        alarms, negatives = alarms + alarm, negatives + len(false)
        per_series[series.name] = {
            "windows": len(found),
            "hits": hit,
            "labelled": [_row(w, f) for w, f in zip(series.windows, found, strict=True)],
            "controls": len(false),
            "false_alarms": alarm,
            "false_alarm_windows": [_row(w, f) for w, f in zip(normal, false, strict=True) if f is not None],
        }
    recall = round(hits / positives, 4) if positives else 0.0
    false_alarm_rate = round(alarms / negatives, 4) if negatives else 0.0
    out = {
        "method": {
            "incident_window": "the labelled window, capped at 7 days (none is longer than 40 h)",
            "baseline": "metric_lookback(window) before it, at metric_period(window) (5 min here)",
            "spec": "one MetricSpec named after the file, stat Average",
            "hit": "a metric_drafts finding on the metric inside the labelled window",
            "controls": "same-length windows >= 1 day from every label, baseline clear of labels",
        },
        "recall": recall,
        "false_alarm_rate": false_alarm_rate,
        "windows": positives,
        "hits": hits,
        "controls": negatives,
        "false_alarms": alarms,
        "per_series": per_series,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(f"{'series':<40} {'hits':>9} {'false alarms':>13}")
    for name, row in per_series.items():
        print(
            f"{name:<40} {row['hits']:>4}/{row['windows']:<4} {row['false_alarms']:>6}/{row['controls']:<6}"
        )
    print(f"{'total':<40} {hits:>4}/{positives:<4} {alarms:>6}/{negatives:<6}")
    print(
        f"recall {recall:.3f}  false-alarm rate {false_alarm_rate:.3f}  "
        f"(target >= {TARGET_RECALL} / <= {TARGET_FALSE_ALARMS})"
    )
    print(f"wrote {RESULTS}", file=sys.stderr)
    met = recall >= TARGET_RECALL and false_alarm_rate <= TARGET_FALSE_ALARMS
    print("target met" if met else "target missed")
    return 0 if met or "--check" not in sys.argv[1:] else 1


if __name__ == "__main__":
    sys.exit(main())
