"""Metrics collector: GetMetricData over the incident window plus a baseline lookback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.evidence import MetricSeries, MetricsEvidenceV1, MetricSpec, SourceResult, SourceStatus
from opsrunbook_dagster.collectors.budgets import Budgets, CollectRequest, metric_lookback, metric_period
from opsrunbook_dagster.collectors.errors import describe_error
from opsrunbook_dagster.collectors.metric_specs import derive_specs, is_standard

MAX_QUERIES_PER_CALL = 500


def _query(spec: MetricSpec) -> dict[str, Any]:
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
            "Period": spec.period,
            "Stat": spec.stat,
        },
    }


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
        series: dict[str, MetricSeries] = {}
        sources: list[SourceResult] = []
        limits: list[str] = []
        standard = [s for s in specs if is_standard(s)]
        extended = [s for s in specs if not is_standard(s)]
        for group, client in ((standard, self.client), (extended, self.probe_client or self.client)):
            for i in range(0, len(group), MAX_QUERIES_PER_CALL):
                self._fetch(client, group[i : i + MAX_QUERIES_PER_CALL], start, end, series, sources, limits)
        by_id = {s.id: s for s in specs}
        ordered = [series[s.id] for s in specs if s.id in series]
        for spec_id, result in series.items():
            status = SourceStatus.complete if result.status_code == "Complete" else SourceStatus.partial
            sources.append(SourceResult(source=by_id[spec_id].label, status=status))
        return MetricsEvidenceV1(
            incident_id=request.incident_id,
            run_id=request.run_id,
            window=request.window,
            baseline_window={"start": start, "end": request.window.start},  # type: ignore[arg-type]
            collected_at=self.now(),
            period_seconds=metric_period(request.window),
            specs=specs,
            series=ordered,
            sources=sorted(sources, key=lambda s: s.source),
            limits=limits,
            truncated=any(s.status_code == "PartialData" for s in ordered),
        )

    def _fetch(
        self,
        client: Any,
        specs: list[MetricSpec],
        start: datetime,
        end: datetime,
        series: dict[str, MetricSeries],
        sources: list[SourceResult],
        limits: list[str],
    ) -> None:
        """One batch with NextToken pagination; a rejected batch is split until the bad query is alone."""
        if not specs:
            return
        try:
            pages = self._pages(client, specs, start, end)
        except Exception as exc:
            info = describe_error(exc)
            if info.throttled or "AccessDenied" in info.code or "Unauthorized" in info.code:
                # Not about any one query: splitting would only multiply the failing calls.
                sources.extend(
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
                self._fetch(client, specs[:middle], start, end, series, sources, limits)
                self._fetch(client, specs[middle:], start, end, series, sources, limits)
                return
            spec = specs[0]
            detail = (
                f"HTTP {info.code}"
                if info.message.lstrip().startswith("<")
                else f"{info.code}: {info.message}"
            )
            sources.append(
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

    def _pages(
        self, client: Any, specs: list[MetricSpec], start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "MetricDataQueries": [_query(s) for s in specs],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        while True:
            response = client.get_metric_data(**kwargs)
            results.extend(response.get("MetricDataResults", []))
            token = response.get("NextToken")
            if not token:
                return results
            kwargs["NextToken"] = token
