"""The season probe: a week of coarse points that tells a short incident's baseline about the time
of day. It clears what the daily pattern explains, confirms what it does not, and never raises a
finding alone; with no daily pattern in it, the fetched series' verdict stands as before."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from contracts.base import TimeWindow
from contracts.evidence import (
    LogsEvidenceV1,
    MetricSeries,
    MetricsEvidenceV1,
    MetricSpec,
    SourceResult,
    SourceStatus,
)
from opsrunbook_dagster.analysis.metric_findings import judge_series, metric_drafts
from opsrunbook_dagster.analysis.packet_builder import build_packet
from opsrunbook_dagster.charts.metric_charts import chart_input
from opsrunbook_dagster.collectors.budgets import (
    SEASON_LOOKBACK,
    Budgets,
    metric_lookback,
    metric_period,
    season_period,
)
from opsrunbook_dagster.collectors.finalize import finalize
from opsrunbook_dagster.pipeline.snapshot import handles_in_memory
from tests import factories

#: a 30-minute incident window in the evening, as traffic falls from its daytime level
WINDOW = TimeWindow(
    start=datetime(2026, 11, 20, 18, 15, tzinfo=UTC), end=datetime(2026, 11, 20, 18, 45, tzinfo=UTC)
)
SPEC = MetricSpec(
    id="m0",
    namespace="AWS/ApplicationELB",
    metric="RequestCount",
    dimensions={"LoadBalancer": "app/checkout/1"},
    stat="Sum",
    period=60,
    label="RequestCount checkout",
)


def usual(at: datetime) -> float:
    """Requests a minute: 2,000 by day (08:00-18:00), 200 at night, an hour's ramp either side."""
    hour = at.hour + at.minute / 60.0
    rise = min(max(hour - 7.0, 0.0), 1.0)
    fall = min(max(hour - 18.0, 0.0), 1.0)
    return 200.0 + 1_800.0 * rise * (1.0 - fall) if hour < 23 else 200.0


def minutes(start: datetime, end: datetime, outage: float = 1.0) -> list[tuple[datetime, float]]:
    """One point a minute, 2 % noise; from the window's start on, ``outage`` of the usual traffic."""
    points, at = [], start
    while at < end:
        rng = random.Random(int(at.timestamp()))  # the same minute has the same noise in both fetches
        share = outage if at >= WINDOW.start else 1.0
        points.append((at, round(usual(at) * share * (1 + rng.gauss(0, 0.02)))))
        at += timedelta(minutes=1)
    return points


def fetched(start: datetime, period: int, outage: float) -> MetricSeries:
    """What GetMetricData returns at ``period`` from ``start`` to the window's end (sums of minutes)."""
    sums: dict[datetime, float] = {}
    for at, value in minutes(start, WINDOW.end, outage):
        bucket = start + timedelta(seconds=(at - start).total_seconds() // period * period)
        sums[bucket] = sums.get(bucket, 0.0) + value
    return MetricSeries(
        id="m0", label=SPEC.label, status_code="Complete", timestamps=list(sums), values=list(sums.values())
    )


def evidence(outage: float = 1.0, probe: bool = True) -> MetricsEvidenceV1:
    period, probe_period = metric_period(WINDOW), season_period(WINDOW, WINDOW.end)
    return MetricsEvidenceV1(
        incident_id="inc-probe",
        run_id="r000000000000",
        window=WINDOW,
        baseline_window=TimeWindow(start=WINDOW.start - metric_lookback(WINDOW), end=WINDOW.start),
        collected_at=WINDOW.end,
        period_seconds=period,
        specs=[SPEC],
        series=[fetched(WINDOW.start - metric_lookback(WINDOW), period, outage)],
        season_period_seconds=probe_period if probe else None,
        season_series=[fetched(WINDOW.start - SEASON_LOOKBACK, probe_period, outage)] if probe else [],
        sources=[SourceResult(source=SPEC.label, status=SourceStatus.complete)],
    )


def judged(model: MetricsEvidenceV1):  # type: ignore[no-untyped-def]
    probe = model.season_series[0] if model.season_series else None
    return judge_series(SPEC, model.series[0], WINDOW.start.timestamp(), probe)


def test_the_probe_is_a_week_at_no_more_than_1440_points_and_no_finer_than_cloudwatch_keeps() -> None:
    assert season_period(WINDOW, WINDOW.end) == 600  # 7 d 30 min / 1,440 points: 7.02 min -> 10
    week = TimeWindow(start=WINDOW.start, end=WINDOW.start + timedelta(days=7))
    assert (timedelta(days=14).total_seconds() / season_period(week, week.end)) <= 1_440
    # replaying an old incident: 1-minute points are gone after 15 days, 5-minute ones after 63
    short = TimeWindow(start=WINDOW.start, end=WINDOW.start + timedelta(minutes=5))
    assert season_period(short, short.end) == 600
    assert season_period(short, short.end + timedelta(days=20)) == 600
    assert season_period(short, short.end + timedelta(days=70)) == 3_600


def test_the_evening_decline_is_cleared_by_the_week_before() -> None:
    without = judged(evidence(probe=False))
    assert without is not None, "the hour and a half before the window shows only the daytime level"
    assert without[0][2].startswith("level shift"), without[0][2]
    assert judged(evidence()) is None, "every evening of the week fell the same way"


def test_an_outage_in_the_evening_is_confirmed_against_the_time_of_day() -> None:
    found = judged(evidence(outage=0.3))
    assert found is not None
    (z, point, text), band = found
    assert band.series_set == "season_series"
    assert "daily seasonal baseline of the week's 10 min points" in text, text
    assert "from the usual for the time of day" in text
    assert z >= 4.0
    model = evidence(outage=0.3)
    assert model.season_series[0].timestamps[point] >= WINDOW.start


def test_the_finding_cites_the_probe_points_it_rests_on() -> None:
    model = evidence(outage=0.3)
    handles = handles_in_memory({"metrics": model}, "inc-probe", "r000000000000")
    (draft,) = metric_drafts(handles)
    assert draft.refs[0].pointer == "/season_series/0"
    point = int(draft.refs[1].pointer.rsplit("/", 1)[1])
    assert draft.refs[1].pointer == f"/season_series/0/values/{point}"
    assert draft.first_seen == model.season_series[0].timestamps[point]
    assert draft.metric is not None and draft.metric.series_set == "season_series"


def test_the_chart_of_a_probe_finding_draws_the_probe() -> None:
    model = evidence(outage=0.3)
    logs = LogsEvidenceV1.model_validate(factories.logs_evidence(rows=[], queries=[]))
    packet = build_packet(handles_in_memory({"metrics": model, "logs": logs}, "inc-probe", "r000000000000"))
    (finding,) = [f for f in packet.findings if f.metric is not None]
    chart = chart_input(finding, packet, lambda key, sha: model)
    assert chart is not None and chart.series == model.season_series[0]


def test_a_probe_without_a_daily_pattern_leaves_the_verdict_as_it_was() -> None:
    rng = random.Random(11)
    model = evidence(outage=0.3)
    flat = [round(rng.gauss(8_000.0, 400.0)) for _ in model.season_series[0].values]
    noisy = model.model_copy(
        update={"season_series": [model.season_series[0].model_copy(update={"values": flat})]}
    )
    assert judged(noisy) == judged(evidence(outage=0.3, probe=False))


def test_the_probe_alone_raises_nothing() -> None:
    model = evidence()
    # the probe says the window is a third of the usual, the fetched series that nothing changed
    probe = model.season_series[0]
    low = [
        v * (0.3 if t >= WINDOW.start else 1.0) for t, v in zip(probe.timestamps, probe.values, strict=True)
    ]
    low_probe = probe.model_copy(update={"values": low})
    assert judge_series(SPEC, low_probe, WINDOW.start.timestamp()) is not None, "the probe does show it"
    quiet = model.series[0].model_copy(update={"values": [2_000.0] * len(model.series[0].values)})
    assert judge_series(SPEC, quiet, WINDOW.start.timestamp(), low_probe) is None


def test_an_over_budget_metrics_object_sheds_the_probe_before_any_series() -> None:
    model = evidence()
    size = len(
        finalize(
            model.model_copy(update={"season_series": [], "season_period_seconds": None}), Budgets()
        ).body
    )
    stored = finalize(model, Budgets(bytes_per_metrics_object=size + 200)).model
    assert stored.season_series == [] and stored.season_period_seconds is None
    assert stored.series == model.series
    assert any("season probe dropped" in line for line in stored.limits)


def test_usual_traffic_is_what_the_synthetic_day_says() -> None:  # the fixture itself
    assert usual(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)) == 2_000.0
    assert usual(datetime(2026, 11, 20, 3, 0, tzinfo=UTC)) == 200.0
    assert math.isclose(usual(datetime(2026, 11, 20, 18, 30, tzinfo=UTC)), 1_100.0)
