"""Small, dependency-free statistics used by the analyzer (deterministic, float-stable)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), computed in log space."""
    if k <= 0:
        return 1.0
    lam = max(lam, 1e-9)
    log_terms = []
    i = k
    while True:
        term = -lam + i * math.log(lam) - math.lgamma(i + 1)
        log_terms.append(term)
        if i > lam and term < log_terms[0] - 40:
            break
        i += 1
        if i - k > 100_000:
            break
    peak = max(log_terms)
    return min(1.0, math.exp(peak) * sum(math.exp(t - peak) for t in log_terms))


def significance(p_value: float) -> float:
    """-log10(p), capped at 30."""
    return min(30.0, -math.log10(max(p_value, 1e-30)))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return 0.0
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def mad(values: Sequence[float], centre: float | None = None) -> float:
    """Median absolute deviation, scaled to be consistent with the standard deviation."""
    if not values:
        return 0.0
    c = median(values) if centre is None else centre
    return 1.4826 * median([abs(v - c) for v in values])


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
