"""Analyzer alone: 10,000 log rows + 60 metric series x 1,440 points + 200 executions, and the
season probe the metrics collector fetches beside every series (a week of 10-minute points, here
with a daily pattern, so every series with a finding is also judged against the time of day).

Writes benchmarks/results/analyzer.json (seconds: the median of 5 builds, peak_rss_mb). Targets: <= 1 s,
<= 300 MB.
"""

from __future__ import annotations

import json
import math
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contracts.base import TimeWindow
from contracts.evidence import (
    ExecutionRecord,
    LogRow,
    LogsEvidenceV1,
    MetricSeries,
    MetricsEvidenceV1,
    MetricSpec,
    StateMachineSummary,
    StepFnEvidenceV1,
)
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.collectors.budgets import SEASON_LOOKBACK, season_period
from opsrunbook_dagster.pipeline.snapshot import handles_in_memory

RESULTS = Path(__file__).parent / "results" / "analyzer.json"
REPEATS = 5
END = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = {"start": END - timedelta(hours=1), "end": END}
PROBE_PERIOD = season_period(TimeWindow.model_validate(WINDOW), END)
PROBE_START = END - timedelta(hours=1) - SEASON_LOOKBACK
PROBE_POINTS = int((END - PROBE_START).total_seconds()) // PROBE_PERIOD
TEMPLATES = [
    "ERROR Failed to process order {n} for customer {c}: upstream returned 503",
    '{{"level":"ERROR","message":"payment declined for card {n}","errorType":"CardDeclined","requestId":"{c}"}}',
    "WARN retrying request {c} attempt {a}",
    "ERROR connection reset by peer while reading from 10.0.{a}.{n}:5432",
    "{ts} {c} Task timed out after 3.00 seconds",
]


def _logs(rng: random.Random) -> LogsEvidenceV1:
    rows = []
    for i in range(10_000):
        window = "incident" if i % 2 == 0 else "baseline"
        at = (
            END
            - timedelta(seconds=rng.randint(0, 3599))
            - (timedelta(hours=1) if window == "baseline" else timedelta())
        )
        template = TEMPLATES[(i // 7) % (5 if window == "incident" else 4)]
        message = template.format(
            n=rng.randint(1, 99999), c=f"{rng.getrandbits(64):016x}", a=rng.randint(1, 9), ts=at.isoformat()
        )
        rows.append(
            LogRow(window=window, timestamp=at, log_group=f"/aws/lambda/svc-{i % 5}", message=message)
        )
    return LogsEvidenceV1(
        incident_id="inc-bench", run_id="r000000000000", window=WINDOW, collected_at=END, rows=rows
    )


def _metrics(rng: random.Random) -> MetricsEvidenceV1:
    specs, series, probes = [], [], []
    for i in range(60):
        spec = MetricSpec(
            id=f"m{i:03d}_errors_sum",
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions={"FunctionName": f"svc-{i}"},
            stat="Sum",
            period=60,
            label=f"svc-{i} Errors",
        )
        times = [END - timedelta(minutes=1440 - k) for k in range(1440)]
        shift = 20 if i % 10 == 0 else 0
        values = [max(0.0, rng.gauss(5 + (shift if k >= 1380 else 0), 1.5)) for k in range(1440)]
        specs.append(spec)
        series.append(
            MetricSeries(
                id=spec.id, label=spec.label, status_code="Complete", timestamps=times, values=values
            )
        )
        probe_times = [PROBE_START + timedelta(seconds=PROBE_PERIOD * k) for k in range(PROBE_POINTS)]
        daily = [
            50 + 30 * math.sin(2 * math.pi * (t - PROBE_START).total_seconds() / 86_400) for t in probe_times
        ]
        probe_values = [
            max(0.0, rng.gauss(level + (10 * shift if t >= END - timedelta(hours=1) else 0), 3.0))
            for t, level in zip(probe_times, daily, strict=True)
        ]
        probes.append(
            MetricSeries(
                id=spec.id,
                label=spec.label,
                status_code="Complete",
                timestamps=probe_times,
                values=probe_values,
            )
        )
    return MetricsEvidenceV1(
        incident_id="inc-bench",
        run_id="r000000000000",
        window=WINDOW,
        collected_at=END,
        period_seconds=60,
        specs=specs,
        series=series,
        season_period_seconds=PROBE_PERIOD,
        season_series=probes,
    )


def _stepfn(rng: random.Random) -> StepFnEvidenceV1:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"
    executions = [
        ExecutionRecord(
            execution_arn=f"{arn.replace('stateMachine', 'execution')}:e{i}",
            state_machine_arn=arn,
            name=f"e{i}",
            status="FAILED",
            start_date=END - timedelta(seconds=rng.randint(0, 3599)),
            failed_state=rng.choice(["Charge", "Reserve"]),
            error=rng.choice(["States.TaskFailed", "InventoryUnavailable"]),
            cause="downstream said no",
            task_resource="arn:aws:lambda:us-east-1:123456789012:function:svc-1",
        )
        for i in range(200)
    ]
    machine = StateMachineSummary(
        name="orders", arn=arn, counts={"FAILED": 200, "SUCCEEDED": 800}, failure_ratio=0.2
    )
    return StepFnEvidenceV1(
        incident_id="inc-bench",
        run_id="r000000000000",
        window=WINDOW,
        collected_at=END,
        state_machines=[machine],
        executions=executions,
    )


def main() -> int:
    rng = random.Random(7)
    objects = {"logs": _logs(rng), "metrics": _metrics(rng), "stepfn": _stepfn(rng)}
    handles = handles_in_memory(objects, "svc", "bench")  # type: ignore[arg-type]
    # the median of REPEATS builds (the same bytes each time): one build's time on a shared host
    # varies by half between runs
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        packet = build_packet(handles)
        times.append(round(time.perf_counter() - started, 3))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "seconds": statistics.median(times),
        "seconds_runs": times,
        "peak_rss_mb": round(peak, 1),
        "findings": len(packet.findings),
        "rows": 10_000,
        "series": 60,
        "points_per_series": 1440,
        "season_probe_points_per_series": PROBE_POINTS,
        "executions": 200,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(
        f"analyzer: {out['seconds']} s (target <= 1), peak RSS {out['peak_rss_mb']} MB (target <= 300), {out['findings']} findings"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
