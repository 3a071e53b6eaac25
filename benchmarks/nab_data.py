"""NAB series for the metric benchmark: the four real-data categories, a fixed tuning/held-out split,
the metric evidence the collector would build for a window, and the negative-control windows.

Categories: ``nab-aws`` (realAWSCloudwatch, 17 series) and, from ``nab-more``, ``realAdExchange``
(cost per click/impression, hourly), ``realTraffic`` (speed/occupancy/travel time, ~5 min,
irregular) and ``realTweets`` (mention counts, 5 min). Data: ``$OPSRUNBOOK_BENCH_DATA`` (default
``../shared/bench-data``).

**Split**: within each category the series are ordered by ``sha256(file name)``; the first half
(rounded up) is ``tuning``, the rest ``held_out``. The split depends on nothing but the names, so it
cannot drift towards whatever scores well.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contracts.base import TimeWindow
from contracts.evidence import MetricSeries, MetricsEvidenceV1, MetricSpec, SourceResult, SourceStatus
from contracts.incident_event import MAX_WINDOW
from opsrunbook_dagster.collectors.budgets import (
    SEASON_LOOKBACK,
    metric_lookback,
    metric_period,
    season_period,
)

REPO = Path(__file__).resolve().parent.parent
GAP = timedelta(days=1)
#: category -> (folder under bench-data, key prefix in combined_windows.json)
CATEGORIES = {
    "nab-aws": ("nab-aws", "realAWSCloudwatch"),
    "realAdExchange": ("nab-more", "realAdExchange"),
    "realTraffic": ("nab-more", "realTraffic"),
    "realTweets": ("nab-more", "realTweets"),
}
SPLITS = ("tuning", "held_out")
#: file-name prefix -> (namespace, metric, dimension name, stat)
METRICS = (
    ("ec2_cpu_utilization", ("AWS/EC2", "CPUUtilization", "InstanceId", "Average")),
    ("ec2_disk_write_bytes", ("AWS/EC2", "DiskWriteBytes", "InstanceId", "Average")),
    ("ec2_network_in", ("AWS/EC2", "NetworkIn", "InstanceId", "Average")),
    ("elb_request_count", ("AWS/ELB", "RequestCount", "LoadBalancerName", "Average")),
    ("rds_cpu_utilization", ("AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "Average")),
    ("grok_asg_anomaly", ("AWS/EC2", "CPUUtilization", "AutoScalingGroupName", "Average")),
    ("iio_", ("AWS/EC2", "NetworkIn", "InstanceId", "Average")),
    ("exchange-", ("AdExchange", "CostPerImpression", "Exchange", "Average")),
    ("TravelTime", ("Traffic", "TravelTime", "Sensor", "Average")),
    ("occupancy", ("Traffic", "Occupancy", "Sensor", "Average")),
    ("speed", ("Traffic", "Speed", "Sensor", "Average")),
    ("Twitter_volume", ("Tweets", "MentionCount", "Ticker", "Sum")),
)


@dataclass(frozen=True)
class Series:
    category: str
    name: str
    times: list[datetime]
    values: list[float]
    windows: list[TimeWindow]


def data_dir() -> Path:
    return Path(os.environ.get("OPSRUNBOOK_BENCH_DATA", str(REPO.parent / "shared" / "bench-data")))


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.strip()[:19]).replace(tzinfo=UTC)


def split_of(names: list[str]) -> dict[str, str]:
    """name -> "tuning" | "held_out": the first half (rounded up) by sha256 of the name is tuning."""
    ranked = sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    tuning = (len(ranked) + 1) // 2
    return {n: SPLITS[0] if i < tuning else SPLITS[1] for i, n in enumerate(ranked)}


def series_names(category: str) -> list[str]:
    folder, prefix = CATEGORIES[category]
    labelled = json.loads((data_dir() / folder / "combined_windows.json").read_text())
    return sorted(k.split("/", 1)[1] for k in labelled if k.startswith(prefix + "/"))


def load_one(category: str, name: str) -> Series:
    folder, prefix = CATEGORIES[category]
    root = data_dir() / folder
    labelled = json.loads((root / "combined_windows.json").read_text())[f"{prefix}/{name}"]
    with (root / name).open(newline="") as handle:
        rows = sorted((_utc(r["timestamp"]), float(r["value"])) for r in csv.DictReader(handle))
    windows = [TimeWindow(start=_utc(a), end=_utc(b)) for a, b in labelled]
    return Series(category, name, [r[0] for r in rows], [r[1] for r in rows], windows)


def spec_for(name: str, period: int) -> MetricSpec:
    namespace, metric, dimension, stat = next(m for prefix, m in METRICS if name.startswith(prefix))
    resource = name.rsplit(".", 1)[0].replace("_", "-")[:200]
    return MetricSpec(
        id="m0",
        namespace=namespace,
        metric=metric,
        dimensions={dimension: resource},
        stat=stat,
        period=period,
        label=f"{metric} {resource}",
    )


def _resample(
    points: list[tuple[datetime, float]], start: datetime, period: int, stat: str
) -> list[tuple[datetime, float]]:
    """Aggregate points into ``period``-second buckets from ``start`` (what GetMetricData returns)."""
    buckets: dict[int, list[float]] = {}
    for t, v in points:
        buckets.setdefault(int((t - start).total_seconds()) // period, []).append(v)
    agg = sum if stat == "Sum" else (lambda v: sum(v) / len(v))
    return [(start + timedelta(seconds=k * period), agg(v)) for k, v in sorted(buckets.items())]


def _fetched(series: Series, start: datetime, end: datetime, period: int, stat: str) -> MetricSeries:
    """What GetMetricData returns for [start, end) at ``period`` (the data is at 5 minutes or coarser)."""
    points = [(t, v) for t, v in zip(series.times, series.values, strict=True) if start <= t < end]
    if period > 300:
        points = _resample(points, start, period, stat)
    return MetricSeries(
        id="m0",
        label=spec_for(series.name, period).label,
        status_code="Complete",
        timestamps=[p[0] for p in points],
        values=[round(p[1], 6) for p in points],
    )


def evidence(series: Series, window: TimeWindow, probe: bool = True) -> MetricsEvidenceV1:
    """The metrics evidence of ``window``, with the season probe the collector fetches (``probe``),
    collected as the window ends."""
    window = TimeWindow(start=window.start, end=min(window.end, window.start + MAX_WINDOW))
    period = metric_period(window)
    start = window.start - metric_lookback(window)
    spec = spec_for(series.name, period)
    probe_period = season_period(window, window.end)
    probe_start = window.start - SEASON_LOOKBACK
    return MetricsEvidenceV1(
        incident_id="inc-nab",
        run_id="r000000000000",
        window=window,
        baseline_window=TimeWindow(start=start, end=window.start),
        collected_at=window.end,
        period_seconds=period,
        specs=[spec],
        series=[_fetched(series, start, window.end, period, spec.stat)],
        season_period_seconds=probe_period if probe else None,
        season_series=[_fetched(series, probe_start, window.end, probe_period, spec.stat)] if probe else [],
        sources=[SourceResult(source=spec.label, status=SourceStatus.complete)],
    )


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
