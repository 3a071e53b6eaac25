"""GetMetricData and GetMetricStatistics in the sandbox, answered as CloudWatch answers them.

moto computes each period by scanning every datapoint in the query's range (periods x points:
~2.7 s for 3,400 five-minute points, and a read timeout on a busy machine) and rejects percentile
and other extended statistics with an HTTP 500, so every sandbox packet listed a failure a real
account would not have. ``install()`` (called by the sandbox server at start) replaces the
computation for ``MetricStat`` queries with one pass that buckets the matching datapoints by
period, and statistics from ``metric_stats`` (standard and extended); metric-math and Metrics
Insights expressions still go to moto's own code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterCombination, InvalidParameterValue, ValidationError
from moto.cloudwatch.models import CloudWatchBackend, MetricAggregatedDatum, MetricDatum
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

from opsrunbook_dagster.sandbox.metric_stats import STANDARD, is_supported, statistic

_MARK = "_opsrunbook_statistics"


def _combine(points: list[Any], stat: str) -> float | None:
    raw = [float(p.value) for p in points if isinstance(p, MetricDatum)]
    aggregated = [p for p in points if isinstance(p, MetricAggregatedDatum)]
    if not aggregated or stat not in STANDARD:
        return statistic(raw, stat)
    count = len(raw) + sum(float(a.sample_count) for a in aggregated)
    total = sum(raw) + sum(float(a.sum) for a in aggregated)
    if stat == "SampleCount":
        return count
    if stat == "Sum":
        return total
    if stat == "Average":
        return total / count if count else None
    extremes = raw + [float(a.min if stat == "Minimum" else a.max) for a in aggregated]
    return min(extremes) if stat == "Minimum" else max(extremes)


@dataclass(frozen=True)
class _Query:
    metric: dict[str, Any]
    unit: str | None
    start: datetime
    end: datetime
    period: int

    def buckets(self, backend: CloudWatchBackend) -> dict[int, list[Any]]:
        """The matching datapoints by period index from ``start``: one pass over the stored data."""
        wanted = sorted((d["Name"], d["Value"]) for d in self.metric.get("Dimensions", []))
        buckets: dict[int, list[Any]] = defaultdict(list)
        for point in backend.get_all_metrics():
            if point.namespace != self.metric["Namespace"] or point.name != self.metric["MetricName"]:
                continue
            if not self.start <= point.timestamp < self.end or (self.unit and point.unit != self.unit):
                continue
            if sorted((d.name, d.value) for d in point.dimensions) != wanted:
                continue
            buckets[int((point.timestamp - self.start).total_seconds()) // self.period].append(point)
        return buckets

    def series(self, backend: CloudWatchBackend, stat: str) -> list[tuple[datetime, float]]:
        if not is_supported(stat):
            raise InvalidParameterValue(f"The value {stat} for parameter Stat is not supported.")
        if self.period <= 0:
            raise InvalidParameterValue("The parameter Period must be greater than 0.")
        out = []
        for index, points in sorted(self.buckets(backend).items()):
            value = _combine(points, stat)
            if value is not None:
                out.append((self.start + timedelta(seconds=index * self.period), value))
        return out


def _get_metric_data(original: Any) -> Any:
    def get_metric_data(
        self: CloudWatchBackend,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        if any("MetricStat" not in q for q in queries):
            return original(self, queries, start_time, end_time, scan_by)  # type: ignore[no-any-return]
        start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        if start >= end:
            raise ValidationError("The parameter StartTime must be less than the parameter EndTime.")
        results = []
        for query in queries:
            metric_stat = query["MetricStat"]
            query_of = _Query(
                metric_stat["Metric"], metric_stat.get("Unit"), start, end, int(metric_stat["Period"])
            )
            series = query_of.series(self, metric_stat["Stat"])
            if scan_by == "TimestampDescending":
                series.reverse()
            if query.get("ReturnData", True):
                results.append(
                    {
                        "id": query["Id"],
                        "label": query.get("Label")
                        or f"{metric_stat['Metric']['MetricName']} {metric_stat['Stat']}",
                        "values": [v for _, v in series],
                        "timestamps": [t for t, _ in series],
                        "status_code": "Complete",
                    }
                )
        return results

    setattr(get_metric_data, _MARK, True)
    return get_metric_data


def _get_metric_statistics(self: CloudWatchResponse) -> ActionResult:
    statistics = self._get_param("Statistics", []) or []
    extended = self._get_param("ExtendedStatistics", []) or []
    if not statistics and not extended:
        raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics")
    metric = {
        "Namespace": self._get_param("Namespace"),
        "MetricName": self._get_param("MetricName"),
        "Dimensions": self._get_param("Dimensions", []) or [],
    }
    start = self._get_param("StartTime").replace(microsecond=0)
    end = self._get_param("EndTime").replace(microsecond=0)
    if start >= end:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    period, unit = self._get_int_param("Period"), self._get_param("Unit")
    backend, query = self.cloudwatch_backend, _Query(metric, unit, start, end, period)
    points: dict[datetime, dict[str, Any]] = {}
    for stat in [*statistics, *extended]:
        for at, value in query.series(backend, stat):
            row = points.setdefault(at, {"Timestamp": at, **({"Unit": unit} if unit else {})})
            if stat in extended:
                row.setdefault("ExtendedStatistics", {})[stat] = value
            else:
                row[stat] = value
    return ActionResult({"Label": metric["MetricName"], "Datapoints": [points[t] for t in sorted(points)]})


def install() -> None:
    """Put the computation in place (idempotent; moto's backends are process-wide)."""
    if getattr(CloudWatchBackend.get_metric_data, _MARK, False):
        return
    CloudWatchBackend.get_metric_data = _get_metric_data(CloudWatchBackend.get_metric_data)  # type: ignore[method-assign]
    setattr(_get_metric_statistics, _MARK, True)
    CloudWatchResponse.get_metric_statistics = _get_metric_statistics  # type: ignore[method-assign]
