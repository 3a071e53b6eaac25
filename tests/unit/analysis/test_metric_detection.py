"""Metric anomaly detection on synthetic series: level shifts, spikes, direction, minimum evidence,
bursty and daily-recurring baselines, sparse counts, and false alarms on plain noise."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from contracts.evidence import MetricSeries, MetricSpec
from opsrunbook_dagster.analysis.metric_baseline import bar, rolling_median
from opsrunbook_dagster.analysis.metric_findings import analyse_series
from opsrunbook_dagster.analysis.metric_semantics import subject_of
from opsrunbook_dagster.analysis.stats import median

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def spec(metric: str = "CPUUtilization", stat: str = "Average", period: int = 60) -> MetricSpec:
    return MetricSpec(
        id="m0",
        namespace="AWS/Lambda",
        metric=metric,
        dimensions={"FunctionName": "checkout"},
        stat=stat,
        period=period,
        label=metric,
    )


def judge(
    values: list[float],
    incident: int,
    metric: str = "CPUUtilization",
    stat: str = "Average",
    period: int = 60,
) -> tuple[float, int, str] | None:
    """Run the analyzer on ``values`` whose last ``incident`` points are the incident window."""
    times = [START + timedelta(seconds=period * i) for i in range(len(values))]
    series = MetricSeries(id="m0", label=metric, status_code="Complete", timestamps=times, values=values)
    return analyse_series(spec(metric, stat, period), series, times[len(values) - incident].timestamp())


def noise(n: int, mean: float = 100.0, sd: float = 5.0, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.gauss(mean, sd), 3) for _ in range(n)]


def test_level_shift_is_reported_with_the_window_median() -> None:
    values = noise(90) + noise(30, mean=160.0, seed=8)
    result = judge(values, 30)
    assert result is not None
    z, point, text = result
    assert text.startswith("level shift: median 1") and z >= 4.0
    assert point >= 90 and values[point] == max(values[90:])


def test_shift_late_in_the_window_is_a_sustained_shift() -> None:
    values = noise(120) + noise(45, seed=9) + noise(15, mean=150.0, seed=10)
    result = judge(values, 60)
    assert result is not None and result[2].startswith("sustained shift: median of 12 points")
    assert result[1] >= 165


def test_single_spike_is_reported_at_its_point() -> None:
    values = noise(120) + noise(30, seed=11)
    values[140] = 400.0
    result = judge(values, 30)
    assert result is not None
    assert result[1] == 140 and result[2].startswith("spike: 400 vs baseline median 10")


def test_direction_errors_up_invocations_down_others_both_ways() -> None:
    base = noise(60, mean=50.0, sd=2.0)
    up, down = base + [90.0] * 30, base + [10.0] * 30
    assert judge(up, 30, "Errors") is not None
    assert judge(down, 30, "Errors") is None
    assert judge(down, 30, "Invocations") is not None
    assert judge(up, 30, "Invocations") is None
    assert judge(up, 30, "NetworkIn") is not None
    assert judge(down, 30, "NetworkIn") is not None


@pytest.mark.parametrize(("baseline", "incident"), [(5, 30), (60, 2)])
def test_too_little_evidence_is_not_judged(baseline: int, incident: int) -> None:
    assert judge([1.0] * baseline + [500.0] * incident, incident) is None


def test_bursty_series_is_judged_against_its_own_bursts() -> None:
    def bursts(n: int, height: float, seed: int) -> list[float]:
        rng = random.Random(seed)
        return [height * rng.uniform(0.8, 1.0) if i % 40 < 3 else 0.0 for i in range(n)]

    base = bursts(240, 1e8, 1)
    assert judge(base + bursts(80, 1e8, 2), 80, "DiskWriteBytes", period=300) is None
    assert judge(base + bursts(80, 3e8, 3), 80, "DiskWriteBytes", period=300) is not None


def test_a_nightly_spike_is_normal_but_the_same_spike_at_noon_is_not() -> None:
    period, day = 300, 288  # 5-minute points; 3 days of baseline, 1 day of incident
    values = noise(4 * day, mean=10.0, sd=0.5, seed=4)
    for d in range(3):
        values[d * day + 36 + d] = 60.0  # ~03:00 every night, drifting a few minutes
    nightly = list(values)
    nightly[3 * day + 38] = 58.0
    assert judge(nightly, day, period=period) is None
    noon = list(values)
    noon[3 * day + 144] = 58.0
    result = judge(noon, day, period=period)
    assert result is not None and result[1] == 3 * day + 144


def test_sparse_error_counts_need_a_real_increase() -> None:
    rng = random.Random(5)
    base = [float(rng.random() < 0.15) for _ in range(60)]
    assert judge(base + [0.0] * 10 + [2.0] + [0.0] * 19, 30, "Errors", "Sum") is None
    assert judge(base + [0.0] * 10 + [5.0] * 20, 30, "Errors", "Sum") is not None


def test_plain_noise_raises_no_alarm() -> None:
    alarms = [seed for seed in range(100) if judge(noise(90, seed=seed), 30) is not None]
    assert alarms == []
    counts = [
        seed
        for seed in range(100)
        if judge([float(random.Random(seed).randint(0, 3)) for _ in range(90)], 30, "Errors", "Sum")
    ]
    assert counts == []


def test_analysis_is_deterministic() -> None:
    values = noise(90) + noise(30, mean=140.0, seed=12)
    assert judge(values, 30) == judge(list(values), 30)


def flip_flop(n: int, low: float, high: float, seed: int) -> list[float]:
    """A metric alternating between two levels with a little jitter (same median as its midpoint)."""
    rng = random.Random(seed)
    return [round((high if i % 2 else low) + rng.gauss(0.0, 0.05), 3) for i in range(n)]


def test_a_steady_metric_turning_erratic_is_noisier() -> None:
    steady = noise(240, mean=33.0, sd=0.1, seed=13)
    erratic = flip_flop(60, 30.0, 36.0, seed=14)
    result = judge(steady + erratic, 60, period=300)
    assert result is not None
    z, point, text = result
    assert text.startswith("noisier: median step of 6") and "in the baseline" in text
    assert point >= 240 and z >= 4.0
    # the same level change on a direction-aware metric is not an incident by itself
    assert judge(steady + erratic, 60, "Errors", period=300) is None


def test_noise_as_erratic_as_the_baselines_own_bursts_is_normal() -> None:
    steady = noise(240, mean=33.0, sd=0.1, seed=15)
    steady[100:130] = flip_flop(30, 30.0, 36.0, seed=16)  # the baseline already did this once
    result = judge(steady + flip_flop(60, 30.0, 36.0, seed=17), 60, period=300)
    assert result is None


def test_all_zero_baseline_is_reported_as_flat_with_a_capped_z() -> None:
    values = [0.0] * 90 + [0.0] * 20 + [5e8] * 10
    result = judge(values, 30, "DiskWriteBytes", period=300)
    assert result is not None
    z, _, text = result
    assert text.endswith("vs baseline flat at 0 over the 7.5 h before the window") and z == 1_000.0


def test_subject_is_the_resource_dimension_not_the_first_by_name() -> None:
    def with_dims(dims: dict[str, str]) -> MetricSpec:
        return MetricSpec(
            id="m0",
            namespace="AWS/DynamoDB",
            metric="ThrottledRequests",
            dimensions=dims,
            stat="Sum",
            period=60,
            label="throttles",
        )

    assert subject_of(with_dims({"Operation": "PutItem", "TableName": "orders"})) == "orders"
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:checkout"
    assert subject_of(with_dims({"Alias": "a", "StateMachineArn": arn})) == "checkout"
    assert subject_of(with_dims({"Zeta": "z", "Alpha": "a"})) == "a"
    assert subject_of(with_dims({})) == "AWS/DynamoDB"


def uniform(n: int, low: float, high: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.uniform(low, high), 3) for _ in range(n)]


def test_a_spike_far_past_every_baseline_point_is_a_new_record() -> None:
    # light-tailed noise 40..52 (median ~46, MAD ~4.4): a point at 66 is only z~4.5, below SPIKE_Z,
    # but three times as far out as any baseline point
    values = uniform(400, 40.0, 52.0, seed=21) + uniform(100, 40.0, 52.0, seed=22)
    values[450] = 66.0
    result = judge(values, 100, period=300)
    assert result is not None
    z, point, text = result
    assert point == 450 and text.startswith("spike: 66 vs baseline median") and 4.0 <= z < 6.0
    # once the baseline went to 60 itself, 66 is no record (20 vs 14 out, under RECORD_RATIO)
    values[200] = 60.0
    assert judge(values, 100, period=300) is None


def level_change(seed: int) -> list[float]:
    """CPU at 6% for 200 points, a restart spike, then 14.5% with more noise for 400 points."""
    rng = random.Random(seed)
    old = [round(rng.gauss(6.0, 0.2), 3) for _ in range(200)]
    new = [round(rng.gauss(14.5, 0.8), 3) for _ in range(400)]
    new[0], new[8] = 25.0, 18.5  # the change's own transient
    return old + new


def test_after_a_level_change_the_current_level_is_the_baseline() -> None:
    values = level_change(23) + [round(random.Random(24).gauss(14.5, 0.8), 3) for _ in range(200)]
    assert judge(values, 200, period=300) is None  # the new level is normal by now
    values[700] = 19.5  # z~6 against the new level; against the whole baseline, under its restart spike
    result = judge(values, 200, period=300)
    assert result is not None
    z, point, text = result
    assert point == 700 and z >= 4.0 and text.startswith("spike: 19.5 vs baseline median 14.")
    assert "from 2026-11-20 18:00 on, after a level change" in text  # past the transient at 16:40


def test_a_regime_keeps_its_bursts_and_drops_the_old_level() -> None:
    # the tail of an earlier event (12e6), a quiet 1e6 regime ending in a short burst, then a window
    # at 6e6: a level shift against the quiet regime, though the old tail's medians were higher
    rng = random.Random(25)
    tail = [round(rng.gauss(12e6, 0.5e6)) for _ in range(48)]
    quiet = [round(rng.gauss(1e6, 0.1e6)) for _ in range(120)]
    burst = [round(rng.gauss(2e7, 2e6)) for _ in range(18)]
    window = [round(rng.gauss(6e6, 0.5e6)) for _ in range(62)]
    result = judge(tail + quiet + burst + window, 62, "NetworkIn", period=300)
    assert result is not None and result[2].startswith("level shift: median 6")
    assert "after a level change" in result[2]


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7, 30])
def test_running_medians_are_the_medians_of_each_window(k: int) -> None:
    rng = random.Random(k)
    values = [float(rng.choice([0, 1, 2, 2, 5])) + (rng.random() if k % 2 else 0.0) for _ in range(200)]
    assert rolling_median(values, k) == [median(values[i : i + k]) for i in range(len(values) - k + 1)]


def test_the_bar_takes_the_largest_excursions_first_and_ties_in_time_order() -> None:
    times = [float(60 * i) for i in range(20)]
    excursions = [0.0] * 20
    excursions[3] = excursions[15] = 9.0  # a tie: both count, apart by more than the gap
    excursions[4] = 8.0  # within the gap of the first 9.0: not another excursion
    # two excursions of 9 are the top and the sixth is missing: 9 + 0.5 * max(9 - 0, 1)
    assert bar(times, excursions, 1.0, 120.0) == 13.5
