"""CloudWatch statistics over one period's raw samples, with CloudWatch's documented semantics.

Standard: SampleCount, Sum, Average, Minimum, Maximum. Extended: ``pNN`` / ``pNN.N`` (percentile),
``tmNN`` / ``TM(a%:b%)`` (trimmed mean), ``IQM`` (= TM(25%:75%)), ``tcNN`` / ``TC(a%:b%)`` (trimmed
count), ``tsNN`` / ``TS(a%:b%)`` (trimmed sum), ``wmNN`` / ``WM(a%:b%)`` (winsorized mean: values
outside the bounds are clamped to them). ``tm90`` keeps the lowest 90 % (the same as TM(:90%)).
Percentiles use the nearest rank (the value at rank ceil(p/100 * n)), so every answer is a sample.
"""

from __future__ import annotations

import math
import re

_SHORT = re.compile(r"^(p|tm|tc|ts|wm)(100|\d{1,2}(?:\.\d+)?)$", re.IGNORECASE)
_RANGE = re.compile(r"^(TM|TC|TS|WM)\((\d{1,3}(?:\.\d+)?)?%?:(\d{1,3}(?:\.\d+)?)?%?\)$", re.IGNORECASE)
STANDARD = frozenset({"SampleCount", "Sum", "Average", "Minimum", "Maximum"})


def is_supported(stat: str) -> bool:
    return stat in STANDARD or stat.upper() == "IQM" or bool(_SHORT.match(stat) or _RANGE.match(stat))


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of ascending ``ordered`` (non-empty), 0 < p <= 100."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _bounds(ordered: list[float], low: float, high: float) -> tuple[float, float]:
    lo = ordered[0] if low <= 0 else percentile(ordered, low)
    hi = ordered[-1] if high >= 100 else percentile(ordered, high)
    return lo, hi


def _trimmed(kind: str, ordered: list[float], low: float, high: float) -> float | None:
    lo, hi = _bounds(ordered, low, high)
    if kind == "WM":
        return sum(min(max(v, lo), hi) for v in ordered) / len(ordered)
    # values strictly above the lower bound (when one is given) and up to the upper bound
    kept = [v for v in ordered if (v > lo if low > 0 else True) and v <= hi]
    if kind == "TC":
        return float(len(kept))
    if kind == "TS":
        return float(sum(kept))
    return sum(kept) / len(kept) if kept else None


def statistic(values: list[float], stat: str) -> float | None:
    """The statistic of one period's raw samples; None when it has no value (no samples)."""
    if not values:
        return None
    if stat == "SampleCount":
        return float(len(values))
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Minimum":
        return float(min(values))
    if stat == "Maximum":
        return float(max(values))
    ordered = sorted(values)
    if stat.upper() == "IQM":
        return _trimmed("TM", ordered, 25, 75)
    if short := _SHORT.match(stat):
        kind, bound = short.group(1).upper(), float(short.group(2))
        return percentile(ordered, bound) if kind == "P" else _trimmed(kind, ordered, 0, bound)
    if ranged := _RANGE.match(stat):
        low = float(ranged.group(2) or 0)
        high = float(ranged.group(3) or 100)
        return _trimmed(ranged.group(1).upper(), ordered, low, high)
    raise ValueError(f"unsupported statistic {stat!r}")
