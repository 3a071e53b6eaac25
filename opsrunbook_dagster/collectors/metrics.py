"""Metrics collector: GetMetricData over the incident window plus a baseline lookback, and a season
probe: the same queries over the week before the window at a coarser period (one more call per
500 queries), from which the analysis tells whether the metric has a daily pattern."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.evidence import MetricSeries, MetricsEvidenceV1, MetricSpec, SourceResult, SourceStatus
from opsrunbook_dagster.collectors.budgets import (
    SEASON_LOOKBACK,
    Budgets,
    CollectRequest,
    metric_lookback,
    metric_period,
    season_period,
)
from opsrunbook_dagster.collectors.errors import describe_error
from opsrunbook_dagster.collectors.metric_specs import derive_specs, is_standard

MAX_QUERIES_PER_CALL = 500


def _query(spec: MetricSpec, period: int | None = None) -> dict[str, Any]:
    return {
        "Id": spec.id,
        "Label": spec.label,
        "ReturnData": True,
        "MetricStat": {
            "Metric": {
                "Namespace": spec.namespace,
                "MetricName": spec.metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in spec.dimensions.items()],
            },
            "Period": period or spec.period,
            "Stat": spec.stat,
        },
    }


@dataclass(frozen=True)
class _Span:
    """What one GetMetricData fetch asks for: a time range and a period (None: each spec's own)."""

    start: datetime
    end: datetime
    period: int | None = None


@dataclass
class _Answers:
    """What the fetches of one span answered: series by query id, and the queries that failed."""

    series: dict[str, MetricSeries] = field(default_factory=dict)
    failed: list[SourceResult] = field(default_factory=list)


@dataclass
class MetricsCollector:
    """``client`` is CloudWatch; ``probe_client`` (few retries) is used for non-standard stats."""

    client: Any
    probe_client: Any = None
    budgets: Budgets = field(default_factory=Budgets)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def specs_for(self, request: CollectRequest) -> list[MetricSpec]:
        hints = request.event.hints
        explicit = [(q.namespace, q.metric, dict(q.dimensions), q.stat) for q in hints.metrics]
        arns = [
            request.state_machine_arns[r] for r in hints.state_machines if r in request.state_machine_arns
        ]
        return derive_specs(
            hints.lambda_functions, arns, explicit, metric_period(request.window), list(hints.resources)
        )

    def collect(self, request: CollectRequest) -> MetricsEvidenceV1:
        specs = self.specs_for(request)
        start = request.window.start - metric_lookback(request.window)
        end = request.window.end
        fetched = self._fetch_all(specs, _Span(start, end))
        series, sources = fetched.series, list(fetched.failed)
        limits: list[str] = []
        by_id = {s.id: s for s in specs}
        ordered = [series[s.id] for s in specs if s.id in series]
        for spec_id, result in series.items():
            status = SourceStatus.complete if result.status_code == "Complete" else SourceStatus.partial
            sources.append(SourceResult(source=by_id[spec_id].label, status=status))
        # the season probe: only for what the fetch above answered; its failures are a limit, not a source's
        probe_period = season_period(request.window, self.now())
        answered = [s for s in specs if s.id in series]
        probe = self._fetch_all(answered, _Span(request.window.start - SEASON_LOOKBACK, end, probe_period))
        if probe.failed:
            limits.append(
                f"season probe (the week before, {probe_period // 60}-min points) failed for "
                f"{len(probe.failed)} of {len(answered)} series: their daily pattern is not judged"
            )
        return MetricsEvidenceV1(
            incident_id=request.incident_id,
            run_id=request.run_id,
            window=request.window,
            baseline_window={"start": start, "end": request.window.start},  # type: ignore[arg-type]
            collected_at=self.now(),
            period_seconds=metric_period(request.window),
            specs=specs,
            series=ordered,
            season_period_seconds=probe_period if answered else None,
            season_series=[probe.series[s.id] for s in answered if s.id in probe.series],
            sources=sorted(sources, key=lambda s: s.source),
            limits=limits,
            truncated=any(s.status_code == "PartialData" for s in ordered),
        )

    def _fetch_all(self, specs: list[MetricSpec], span: _Span) -> _Answers:
        """Standard stats through ``client``, extended ones through ``probe_client``, 500 a call."""
        answers = _Answers()
        standard = [s for s in specs if is_standard(s)]
        extended = [s for s in specs if not is_standard(s)]
        for group, client in ((standard, self.client), (extended, self.probe_client or self.client)):
            for i in range(0, len(group), MAX_QUERIES_PER_CALL):
                self._fetch(client, group[i : i + MAX_QUERIES_PER_CALL], span, answers)
        return answers

    def _fetch(self, client: Any, specs: list[MetricSpec], span: _Span, answers: _Answers) -> None:
        """One batch with NextToken pagination; a rejected batch is split until the bad query is alone."""
        if not specs:
            return
        series = answers.series
        try:
            pages = self._pages(client, specs, span)
        except Exception as exc:
            info = describe_error(exc)
            if info.throttled or "AccessDenied" in info.code or "Unauthorized" in info.code:
                # Not about any one query: splitting would only multiply the failing calls.
                answers.failed.extend(
                    SourceResult(
                        source=spec.label,
                        status=SourceStatus.failed,
                        error_code=info.code,
                        error_message=info.message[:1000],
                    )
                    for spec in specs
                )
                return
            if len(specs) > 1:
                middle = len(specs) // 2
                self._fetch(client, specs[:middle], span, answers)
                self._fetch(client, specs[middle:], span, answers)
                return
            spec = specs[0]
            detail = (
                f"HTTP {info.code}"
                if info.message.lstrip().startswith("<")
                else f"{info.code}: {info.message}"
            )
            answers.failed.append(
                SourceResult(
                    source=spec.label,
                    status=SourceStatus.failed,
                    error_code="MetricQueryRejected",
                    error_message=f"the backend rejected {spec.metric} {spec.stat} ({detail})"[:1000],
                )
            )
            return
        for result in pages:
            points = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
            existing = series.get(result["Id"])
            timestamps = [p[0].astimezone(UTC) for p in points]
            values = [round(float(p[1]), 6) for p in points]
            if existing is not None:
                merged = sorted(zip(existing.timestamps + timestamps, existing.values + values, strict=False))
                timestamps, values = [m[0] for m in merged], [m[1] for m in merged]
            status = result.get("StatusCode", "Complete")
            if existing is not None and existing.status_code != "Complete":
                status = existing.status_code
            series[result["Id"]] = MetricSeries(
                id=result["Id"],
                label=result.get("Label") or result["Id"],
                status_code=status,
                timestamps=timestamps,
                values=values,
            )

    def _pages(self, client: Any, specs: list[MetricSpec], span: _Span) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "MetricDataQueries": [_query(s, span.period) for s in specs],
            "StartTime": span.start,
            "EndTime": span.end,
            "ScanBy": "TimestampAscending",
        }
        while True:
            response = client.get_metric_data(**kwargs)
            results.extend(response.get("MetricDataResults", []))
            token = response.get("NextToken")
            if not token:
                return results
            kwargs["NextToken"] = token
