"""What a metric baseline did: robust spread, running medians, daily recurrence, the bar a value
must clear to be unlike anything the baseline did at the same scale, and where its current
level (regime) began.

Pure helpers for :mod:`opsrunbook_dagster.analysis.metric_findings` (deterministic, no I/O).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence

from opsrunbook_dagster.analysis.stats import mad

MARGIN = 0.5  # how far past the baseline's largest excursion, in spreads of its largest ones
TOP_EXCURSIONS = 6
DAY_SECONDS = 86_400.0
RECUR_SECONDS = 5_400.0  # "same time of day" tolerance for recurring excursions
REGIME_OUTLIERS = 0.2  # share of a regime's running medians that may stray (bursts) from its level
RECUR_SHARE = 0.7  # a recurring excursion is at least this share of the one it explains


def robust_scale(values: Sequence[float], centre: float) -> float:
    """Robust spread around ``centre``: MAD, else the mean absolute deviation, floored at 5% of it."""
    spread = mad(values, centre)
    if spread <= 0.0 and values:
        spread = 1.2533 * sum(abs(v - centre) for v in values) / len(values)
    return max(spread, 0.05 * abs(centre), 1e-9)


def rolling_median(values: Sequence[float], k: int) -> list[float]:
    """Medians of every run of ``k`` consecutive values (``len(values) - k + 1`` of them)."""
    if k <= 1:
        return list(values)
    window = sorted(values[:k])  # kept sorted: each step removes the value leaving, inserts the new one
    hi = k // 2
    lo = hi if k % 2 else hi - 1
    out = [(window[lo] + window[hi]) / 2.0 if lo != hi else window[hi]]
    append = out.append
    for leaving, arriving in zip(values, values[k:], strict=False):  # the first len - k leave
        del window[bisect_left(window, leaving)]
        insort(window, arriving)
        append(window[hi] if lo == hi else (window[lo] + window[hi]) / 2.0)
    return out


def recurs(at: float, excursion: float, times: Sequence[float], excursions: Sequence[float]) -> bool:
    """True when every other day the baseline covers has a comparable excursion at this time of day."""
    days = 0
    for offset in (-3, -2, -1, 1, 2, 3):
        centre = at + offset * DAY_SECONDS
        if centre - RECUR_SECONDS < times[0] or centre + RECUR_SECONDS > times[-1]:
            continue
        days += 1
        lo, hi = bisect_left(times, centre - RECUR_SECONDS), bisect_right(times, centre + RECUR_SECONDS)
        if max(excursions[lo:hi], default=0.0) < RECUR_SHARE * excursion:
            return False
    return days > 0


def bar(times: Sequence[float], excursions: Sequence[float], scale: float, gap: float) -> float:
    """How far past the baseline median a value must go to be unlike anything the baseline did."""
    tops: list[tuple[float, float]] = []
    # largest first, ties in order (a reversed sort keeps equal keys in their original order)
    for i in sorted(range(len(excursions)), key=excursions.__getitem__, reverse=True):
        if excursions[i] <= 0.0 or len(tops) == TOP_EXCURSIONS:
            break
        if any(abs(times[i] - t) <= gap for t, _ in tops) or recurs(
            times[i], excursions[i], times, excursions
        ):
            continue
        tops.append((times[i], excursions[i]))
    top = tops[0][1] if tops else 0.0
    last = tops[-1][1] if len(tops) == TOP_EXCURSIONS else 0.0
    return top + MARGIN * max(top - last, scale)


def regime_start(
    values: Sequence[float], rolled: Sequence[float], n_base: int, least: int, k: int, z: float
) -> int:
    """Where the baseline's current regime begins, 0 when it has none apart from the rest.

    A regime is the baseline from a split on (at least ``least`` points): mostly at one level
    (all but ``REGIME_OUTLIERS`` of its running medians of ``k`` points within ``z`` of its
    spreads of its median), which no running median before the split came within ``z`` spreads
    of. Of the possible splits, the tightest regime wins; it starts ``k`` points after the split,
    as the change itself (a restart spike, a warm-up) belongs to neither level. ``rolled`` is
    ``rolling_median(values, k)`` (only its running medians within the baseline are used)."""
    splits = range(k, n_base - least - k + 1, max(k // 2, 1))
    best, tightest = 0, math.inf
    ordered: list[float] = sorted(values[splits[-1] : n_base]) if splits else []
    for j in reversed(splits):  # the regime grows backwards; keep its points sorted
        for v in values[j : j + splits.step] if j != splits[-1] else ():
            insort(ordered, v)
        centre = median_sorted(ordered)
        # cheap necessary test: the first and the last running median before the split are out of
        # reach only if at least half the regime lies closer to its median than they do / z
        near = min(abs(rolled[0] - centre), abs(rolled[j - k] - centre)) / (1.4826 * z)
        if bisect_right(ordered, centre + near) - bisect_left(ordered, centre - near) < len(ordered) // 2:
            continue
        scale = robust_scale(ordered, centre)
        inside = rolled[j : n_base - k + 1]
        if (
            scale <= tightest
            and all(abs(v - centre) >= z * scale for v in rolled[: j - k + 1])
            and sum(abs(v - centre) >= z * scale for v in inside) <= REGIME_OUTLIERS * len(inside)
        ):
            best, tightest = j + k, scale
    return best


def median_sorted(ordered: Sequence[float]) -> float:
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2.0
