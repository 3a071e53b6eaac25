"""Two out-of-memory kills are too few for a log finding; with the function's memory metric rising
in the same window they are one: the metric finding becomes ``out_of_memory`` and cites the lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.base import TimeWindow
from contracts.evidence import (
    LogRow,
    LogsEvidenceV1,
    MetricSeries,
    MetricsEvidenceV1,
    MetricSpec,
    SourceResult,
    SourceStatus,
)
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.pipeline.snapshot import handles_in_memory

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow(start=NOW - timedelta(minutes=60), end=NOW)
BASELINE = TimeWindow(start=NOW - timedelta(minutes=120), end=NOW - timedelta(minutes=60))
FUNCTION = "invoice-renderer"
KILL = "RequestId: 5b1f0c7e-2a4d-4c1b-9e3f-7d6a5b4c3d2e Error: Runtime exited with error: signal: killed"


def kills_in(window: str, span: TimeWindow, n: int) -> list[LogRow]:
    group = f"/aws/lambda/{FUNCTION}"
    return [
        LogRow(
            window=window,
            timestamp=span.start + timedelta(minutes=20 * (i + 1)),
            log_group=group,
            message=KILL,
        )  # type: ignore[arg-type]
        for i in range(n)
    ]


def packet_kinds(metric: str, kills: int, kills_before: int = 0) -> list[tuple[FindingKind, str]]:
    times = [WINDOW.start - timedelta(minutes=180) + timedelta(minutes=i) for i in range(240)]
    values = [30.0 + (i % 3) for i in range(180)] + [30.0 + i for i in range(60)]  # climbs in the window
    spec = MetricSpec(
        id="m0",
        namespace="LambdaInsights",
        metric=metric,
        dimensions={"function_name": FUNCTION},
        stat="Maximum",
        period=60,
        label=metric,
    )
    metrics = MetricsEvidenceV1(
        incident_id="inc-1",
        run_id="r0123456789ab",
        window=WINDOW,
        collected_at=NOW,
        period_seconds=60,
        specs=[spec],
        series=[MetricSeries(id="m0", label=metric, status_code="Complete", timestamps=times, values=values)],
        sources=[SourceResult(source=metric, status=SourceStatus.complete)],
    )
    rows = kills_in("incident", WINDOW, kills) + kills_in("baseline", BASELINE, kills_before)
    logs = LogsEvidenceV1(
        incident_id="inc-1",
        run_id="r0123456789ab",
        window=WINDOW,
        baseline_window=BASELINE,
        collected_at=NOW,
        rows=rows,
    )
    packet = build_packet(handles_in_memory({"logs": logs, "metrics": metrics}, "inc-1", "r0123456789ab"))
    return [(f.kind, f.summary) for f in packet.findings]


def test_two_kills_and_a_climbing_memory_metric_are_out_of_memory() -> None:
    (kind, summary), *_ = packet_kinds("memory_utilization", kills=2)
    assert kind == FindingKind.out_of_memory
    assert "2 out-of-memory line(s) in the window and none before" in summary and "signal: killed" in summary


def test_the_metric_alone_or_a_usual_kill_rate_stays_a_metric_anomaly() -> None:
    assert [k for k, _ in packet_kinds("memory_utilization", kills=0)] == [FindingKind.metric_anomaly]
    assert FindingKind.out_of_memory not in [
        k for k, _ in packet_kinds("memory_utilization", kills=2, kills_before=2)
    ]


def test_kills_beside_a_metric_that_is_not_memory_prove_nothing() -> None:
    assert FindingKind.out_of_memory not in [k for k, _ in packet_kinds("cpu_total_time", kills=2)]
