"""Scanning one metric series at one scale: the bar a value must pass and the first value past it.

The rules are described in ``metric_findings``; this module holds the constants and the scans.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from opsrunbook_dagster.analysis.metric_baseline import bar, recurs, robust_scale, rolling_median
from opsrunbook_dagster.analysis.stats import median, poisson_sf

MIN_BASELINE_POINTS = 6  # fewer and the series is not judged (minimum evidence)
MIN_INCIDENT_POINTS = 3
LEVEL_Z = 4.0  # robust z a level or sustained shift must reach
SPIKE_Z = 6.0  # robust z a single point must reach
RECORD_RATIO = 1.5  # ... or LEVEL_Z, when it is this many times as far out as any baseline point
SHIFT_POINTS = 12  # points in a running median (an hour at 5-minute periods)
SHIFT_RAW_Z = 2.0  # a running median must also move this many single-point units
COUNT_P_VALUE = 1e-3
NOISE_POINTS = 24  # points in a running median of point-to-point steps (2 h at 5 minutes)
NOISE_RATIO = 4.0  # the running step must be at least this many times the baseline's usual step
NOISE_MARGIN = 2.0  # and this many times the bar the baseline's own running steps set
Z_CAP = 1_000.0  # robust z reported at most (a near-flat baseline makes it astronomically large)


@dataclass(frozen=True)
class Series:
    times: list[float]
    values: Sequence[float]
    n_base: int
    centre: float
    scale: float  # robust spread of single baseline points
    floor: float  # smallest change that counts (one unit for counts)
    rate: float | None  # per-point Poisson rate when the series counts events
    shifts: list[float]  # running medians of SHIFT_POINTS points
    #: running medians by scale, computed once: both sides and the bar read the same ones
    _rolled: dict[int, list[float]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def period(self) -> float:
        return (self.times[self.n_base - 1] - self.times[0]) / max(self.n_base - 1, 1)

    def rolled(self, k: int) -> list[float]:
        """Running medians of ``k`` consecutive values."""
        if k == SHIFT_POINTS:
            return self.shifts
        medians = self._rolled.get(k)
        if medians is None:
            medians = self._rolled[k] = rolling_median(self.values, k)
        return medians


def surprising_count(s: Series, start: int, k: int, candidates: int) -> bool:
    """For counts: k points summing this high are unlikely under the baseline's Poisson rate."""
    if s.rate is None:
        return True
    total = round(sum(s.values[start : start + k]))
    return poisson_sf(total, k * s.rate) * candidates <= COUNT_P_VALUE


@dataclass(frozen=True)
class Hit:
    excursion: float
    point: int  # the most anomalous incident point
    value: float  # the value at the judged scale
    first: int  # first and last point the judged value spans
    last: int


def limit_of(s: Series, side: int, k: int, z: float) -> tuple[float, list[float], list[float]] | None:
    """(how far past the baseline median a value at scale k must go on ``side``, the baseline's
    times and excursions at that scale), or None when the baseline is too short for that scale."""
    rolled = s.rolled(k)
    cut = s.n_base - (k - 1)  # rolled values that end inside the baseline
    if cut < MIN_BASELINE_POINTS:
        return None
    whole = k == len(s.values) - s.n_base
    base_times = s.times[k - 1 : s.n_base]
    base = [side * (v - s.centre) for v in rolled[:cut]]
    scale = robust_scale(rolled[:cut], s.centre)
    # a median of k points varies ~1/sqrt(k) as much as one point; never trust a flat baseline more
    noise = s.scale if whole or k == 1 else max(scale, s.scale / math.sqrt(k))
    need = z * noise
    if k == 1:  # a point far past every baseline point on its side needs less z (a new record)
        need = min(need, max(LEVEL_Z * noise, RECORD_RATIO * max(base, default=0.0)))
    least = max(need, s.floor, 0.0 if whole or k == 1 else SHIFT_RAW_Z * s.scale)
    return max(least, bar(base_times, base, scale, 2 * k * s.period)), base_times, base


def scan(s: Series, side: int, k: int, z: float) -> Hit | None:
    """The first value at scale k past the bar on ``side`` (largest excursion first)."""
    judged = limit_of(s, side, k, z)
    if judged is None:
        return None
    limit, base_times, base = judged
    rolled = s.rolled(k)
    whole = k == len(s.values) - s.n_base
    candidates = range(len(rolled) - 1, len(rolled)) if whole else range(s.n_base - (k - 1), len(rolled))
    centre = s.centre  # largest excursion first, ties in order (a reversed sort is stable)
    for r in sorted(candidates, key=lambda j: side * (rolled[j] - centre), reverse=True):
        excursion = side * (rolled[r] - s.centre)
        if excursion < limit:
            return None
        if recurs(s.times[r + k - 1], excursion, base_times, base):
            continue
        if side > 0 and not surprising_count(s, r, k, len(candidates)):
            continue
        point = max(range(max(r, s.n_base), r + k), key=lambda i: (side * s.values[i], -i))
        return Hit(excursion, point, rolled[r], max(r, s.n_base), r + k - 1)
    return None


def scan_noise(s: Series, k: int) -> tuple[float, int, float, float, int, int] | None:
    """(robust z, index of the incident point, running step, usual step, first and last point) when the point-to-point noise of k
    points is far above the baseline's usual noise and past anything the baseline's own noise did.
    z is the rise in units of the baseline's usual step (or of the spread of its running steps)."""
    steps = [abs(b - a) for a, b in pairwise(s.values)]
    rolled = rolling_median(steps, k)  # rolled[j] spans values j .. j + k
    cut = s.n_base - k
    if cut < MIN_BASELINE_POINTS:
        return None
    usual = median(steps[: s.n_base - 1])
    base_times = s.times[k : s.n_base]
    base = [v - usual for v in rolled[:cut]]
    scale = robust_scale(rolled[:cut], usual)
    least = max(LEVEL_Z * scale, (NOISE_RATIO - 1.0) * usual, s.floor, 0.05 * abs(s.centre))
    limit = max(least, NOISE_MARGIN * bar(base_times, base, scale, 2 * k * s.period))
    for r in sorted(range(cut, len(rolled)), key=rolled.__getitem__, reverse=True):
        rise = rolled[r] - usual
        if rise < limit:
            return None
        if recurs(s.times[r + k], rise, base_times, base):
            continue
        point = max(range(max(r, s.n_base), r + k + 1), key=lambda i: (abs(s.values[i] - s.centre), -i))
        return rise / max(usual, scale), point, rolled[r], usual, max(r, s.n_base), r + k
    return None
