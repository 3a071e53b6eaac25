"""The daily seasonal baseline: a day/night metric judged against the same time of day."""

from __future__ import annotations

import math
import random

from opsrunbook_dagster.analysis.metric_season import daily_season
from tests.unit.analysis.test_metric_detection import judge

PERIOD = 300  # 5-minute points: 288 a day
DAY = 288


def daily(days: float, seed: int = 3, amplitude: float = 400.0) -> list[float]:
    """Requests a 5-minute point: 500 at night, 900 at the evening peak, 3 % noise."""
    rng = random.Random(seed)
    out = []
    for i in range(int(days * DAY)):
        level = 500.0 + amplitude * max(0.0, math.sin(2 * math.pi * (i % DAY) / DAY - math.pi / 2))
        out.append(round(level * (1 + rng.gauss(0, 0.03)), 2))
    return out


def test_the_evening_peak_of_a_daily_metric_is_not_an_incident() -> None:
    values = daily(3.5)  # 3 days of baseline, the window is the next half day: its rise to the peak
    assert judge(values, DAY // 2, metric="Invocations", stat="Sum", period=PERIOD) is None


def test_a_drop_at_peak_time_is_judged_against_the_usual_for_that_time_of_day() -> None:
    values = daily(3.5)
    for i in range(len(values) - 40, len(values) - 10):  # half the usual traffic for 2.5 h
        values[i] = round(values[i] * 0.5, 2)
    found = judge(values, DAY // 2, metric="Invocations", stat="Sum", period=PERIOD)
    assert found is not None
    z, point, text = found
    assert len(values) - 40 <= point < len(values) - 10
    assert "from the usual for the time of day" in text and "daily seasonal baseline" in text
    assert z >= 4.0


def test_a_series_without_a_daily_pattern_keeps_the_flat_baseline() -> None:
    rng = random.Random(5)
    values = [round(rng.gauss(100.0, 5.0), 3) for _ in range(4 * DAY)]
    times = [i * PERIOD for i in range(len(values))]
    assert daily_season(times, values, 3 * DAY) is None
    assert daily_season(times[:DAY], daily(1.0), DAY) is None  # one day cannot show a daily pattern


def test_the_expected_value_is_the_same_time_of_day_on_the_other_days() -> None:
    values = daily(3.0, amplitude=400.0)
    times = [i * PERIOD for i in range(len(values))]
    season = daily_season(times, values, 3 * DAY)
    assert season is not None and season.days >= 2.0
    peak = DAY // 2 + DAY  # the second day's peak
    assert abs(season.expected[peak] - 900.0) < 40.0
    assert abs(season.expected[DAY + 5] - 500.0) < 30.0
