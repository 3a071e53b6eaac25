"""Write a scenario's metric points to CloudWatch (put_metric_data)."""

from __future__ import annotations

import csv
import math
import os
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from opsrunbook_dagster.sandbox.scenario import MAX_AGE_MINUTES, MetricSpec, Scenario, ScenarioError

POINTS_PER_CALL = 500
BENCH_DATA_ENV = "OPSRUNBOOK_BENCH_DATA"


def _aligned_times(spec: MetricSpec, now: datetime) -> list[datetime]:
    period = spec.period_seconds
    epoch = math.floor(now.timestamp() / period) * period
    start = now.timestamp() + spec.from_minute * 60
    end = now.timestamp() + spec.to_minute * 60
    times = []
    t = epoch
    while t >= start:
        if t <= end:
            times.append(datetime.fromtimestamp(t, UTC))
        t -= period
    return sorted(times)


def _gaussian_value(spec: MetricSpec, minute: float, rng: random.Random) -> float:
    assert spec.baseline is not None
    level = spec.baseline
    for change in spec.changes:
        upper = change.to_minute if change.to_minute is not None else 0
        if change.from_minute <= minute <= upper:
            level = change
    value = rng.gauss(level.mean, level.stddev) if level.stddev else level.mean
    if spec.min_value is not None:
        value = max(spec.min_value, value)
    if spec.unit == "Count":
        value = float(round(value))
    return value


def resolve_csv(spec_csv: str, scenario: Scenario) -> Path:
    candidates = []
    if scenario.source_dir is not None:
        candidates.append(scenario.source_dir / spec_csv)
    bench = os.environ.get(BENCH_DATA_ENV)
    if bench:
        candidates.append(Path(bench) / spec_csv)
    for path in candidates:
        if path.exists():
            return path
    raise ScenarioError(f"metrics.csv: {spec_csv!r} not found beside the scenario or under ${BENCH_DATA_ENV}")


def _csv_points(spec: MetricSpec, scenario: Scenario, now: datetime) -> list[tuple[datetime, float]]:
    assert spec.csv is not None and spec.csv_anchor is not None
    anchor_at = datetime.fromisoformat(spec.csv_anchor.at).replace(tzinfo=UTC)
    shift = (now + timedelta(minutes=spec.csv_anchor.minute)) - anchor_at
    oldest = now - timedelta(minutes=MAX_AGE_MINUTES) + timedelta(minutes=5)
    points = []
    with resolve_csv(spec.csv, scenario).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            moment = datetime.fromisoformat(row["timestamp"]).replace(tzinfo=UTC) + shift
            if oldest <= moment <= now:
                points.append((moment, float(row["value"])))
    return points


def metric_points(
    spec: MetricSpec, index: int, scenario: Scenario, now: datetime
) -> list[tuple[datetime, float]]:
    """The points one metric spec writes. Pure: same inputs → same points."""
    if spec.csv is not None:
        return _csv_points(spec, scenario, now)
    rng = random.Random(f"{scenario.seed}:metrics:{index}")
    points = []
    for moment in _aligned_times(spec, now):
        minute = (moment - now).total_seconds() / 60.0
        points.append((moment, _gaussian_value(spec, minute, rng)))
    return points


def seed_metrics(
    cloudwatch: Any, scenario: Scenario, now: datetime, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Write every metric's points; returns points written per ``namespace/metric``.
    ``progress("metric points", n)`` is called after each call."""
    written: dict[str, int] = {}
    for index, spec in enumerate(scenario.metrics):
        dims = [{"Name": k, "Value": v} for k, v in sorted(spec.dimensions.items())]
        datums = [
            {
                "MetricName": spec.metric,
                "Dimensions": dims,
                "Timestamp": moment,
                "Value": value,
                "Unit": spec.unit,
            }
            for moment, value in metric_points(spec, index, scenario, now)
        ]
        for start in range(0, len(datums), POINTS_PER_CALL):
            cloudwatch.put_metric_data(
                Namespace=spec.namespace, MetricData=datums[start : start + POINTS_PER_CALL]
            )
            if progress is not None:
                progress("metric points", len(datums[start : start + POINTS_PER_CALL]))
        label = f"{spec.namespace}/{spec.metric}"
        written[label] = written.get(label, 0) + len(datums)
    return written
