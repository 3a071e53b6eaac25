"""A daily seasonal baseline: what a metric did at the same time of day on the baseline's other days.

Traffic, request and message counts rise by day and fall by night; judged against one baseline
median, every evening peak is a "shift" and every night a "drop". When the baseline covers at
least ``MIN_DAYS`` days and its points lie much closer to their same-time-of-day value on the
other days than to the baseline median (the daily profile takes away at least ``MIN_GAIN`` of the
spread), each point is judged by its residual from that profile instead: the median of the
baseline's points within ``HALF_WIDTH`` of the same time of day on every other day it covers (for
a point of the incident window: every baseline day). Fewer than ``MIN_SAME_TIME`` such points and
the point keeps the baseline median as its expected value.

Pure helpers for :mod:`opsrunbook_dagster.analysis.metric_findings` (deterministic, no I/O).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from opsrunbook_dagster.analysis.metric_baseline import DAY_SECONDS, robust_scale
from opsrunbook_dagster.analysis.stats import median

MIN_DAYS = 2.0  # whole days of baseline before a daily profile is tried
#: share of the baseline's spread the profile must explain (0.3 raised false alarms on NAB tuning)
MIN_GAIN = 0.5
HALF_WIDTH = 1_800.0  # "same time of day": within 30 min
MIN_SAME_TIME = 3


@dataclass(frozen=True)
class Season:
    """The expected value of every point (same-time-of-day median) and the baseline's days."""

    expected: list[float]
    days: float

    def residuals(self, values: Sequence[float], centre: float) -> list[float]:
        """Each value less its expected value, re-centred on ``centre`` (the metric's own units)."""
        return [v - e + centre for v, e in zip(values, self.expected, strict=True)]


def daily_season(times: Sequence[float], values: Sequence[float], n_base: int) -> Season | None:
    """The baseline's daily profile when it explains the baseline's spread, else None."""
    if n_base < 2:
        return None
    days = (times[n_base - 1] - times[0]) / DAY_SECONDS
    if days < MIN_DAYS:
        return None
    base_times, base = times[:n_base], values[:n_base]
    centre = median(base)
    expected = _usual(base_times, base, base_times, days, centre)  # the window's only if it is kept
    residual = [v - e + centre for v, e in zip(base, expected, strict=True)]
    if robust_scale(residual, median(residual)) > (1.0 - MIN_GAIN) * robust_scale(base, centre):
        return None
    return Season(expected=expected + _usual(base_times, base, times[n_base:], days, centre), days=days)


def _usual(
    base_times: Sequence[float], base: Sequence[float], at: Sequence[float], days: float, centre: float
) -> list[float]:
    """For every time in ``at``: the median of the baseline's points within ``HALF_WIDTH`` of the same
    time of day on each other day (1 to ``days`` + 1 days before or after), or ``centre`` when fewer
    than ``MIN_SAME_TIME``. All times at once (a week of points has ~100 such points each): each day
    offset gives every time a run of baseline indices, padded with NaN to one width, and each row of
    the stacked runs is sorted (NaN last) and its middle taken, as ``stats.median`` does."""
    if not at:
        return []
    known, points, when = np.asarray(base_times), np.asarray(base, dtype=float), np.asarray(at)
    runs = []
    for day in range(1, int(days) + 2):
        for shifted in (when - day * DAY_SECONDS, when + day * DAY_SECONDS):
            lo = np.searchsorted(known, shifted - HALF_WIDTH, side="left")
            hi = np.searchsorted(known, shifted + HALF_WIDTH, side="right")
            width = int((hi - lo).max())
            if width > 0:
                index = lo[:, None] + np.arange(width)
                runs.append(np.where(index < hi[:, None], points[np.minimum(index, len(points) - 1)], np.nan))
    if not runs:
        return [centre] * len(at)
    same = np.sort(np.hstack(runs), axis=1)  # NaN sort last
    count = np.count_nonzero(~np.isnan(same), axis=1)
    row = np.arange(len(when))
    upper, lower = same[row, count // 2], same[row, np.maximum(count // 2 - 1, 0)]
    middle = np.where(count % 2 == 1, upper, (lower + upper) / 2.0)
    return [float(m) if c >= MIN_SAME_TIME else centre for m, c in zip(middle, count, strict=True)]
