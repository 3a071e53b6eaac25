"""Findings from metric evidence: is anything in the incident window unlike the baseline before it?

The baseline is summarised robustly (median; MAD, or the mean absolute deviation when more than
half the points are equal) and the window is examined at three scales, each against the same
scale of the baseline:

* **level shift** - the median of the whole window, against the medians of every stretch of the
  baseline of the same length;
* **sustained shift** - running medians of ``SHIFT_POINTS`` points (a change that lasts);
* **spike** - single points.

At each scale a value is a finding only when it is far from the baseline median in robust units
(``LEVEL_Z``; ``SPIKE_Z`` for single points; a running median also ``SHIFT_RAW_Z`` single-point
units) *and* clearly beyond what the baseline itself did at that scale: past its largest
excursion by ``MARGIN`` times the spread of its ``TOP_EXCURSIONS`` largest (de-clustered, so one
burst counts once). Bursty or spiky series are thus judged against their own bursts and spikes.
An excursion that recurs at the same time of day (+/- 90 min) on every other day the baseline
covers - a nightly job - is the normal pattern: it neither raises the bar nor counts.

Direction matters: for errors, throttles or latency only an increase is a finding, for
invocations or healthy hosts only a drop, for other metrics both. Sum/SampleCount changes below
one unit never count, and an increase in a count series (non-negative integers) must also be
unlikely under the baseline's Poisson rate (``COUNT_P_VALUE``, corrected for the number of
places looked at), so a sparse error counter going 0, 0, 2 is not an incident.

``python -m benchmarks.nab_windows`` measures recall and false alarms on NAB's real AWS series.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass

from contracts._base import Severity
from contracts.evidence import MetricSeries, MetricSpec
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.stats import clamp, mad, median, poisson_sf

#: Metrics where only an increase is bad, and where only a decrease is.
UP_IS_BAD = (
    "Errors",
    "Throttles",
    "Duration",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
    "ExecutionThrottled",
    "ThrottledRequests",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "SystemErrors",
    "UserErrors",
    "5XX",
    "4XX",
    "Latency",
    "IteratorAge",
    "DeadLetterErrors",
    "ConcurrentExecutions",
    "ApproximateAgeOfOldestMessage",
)
DOWN_IS_BAD = ("Invocations", "ExecutionsSucceeded", "HealthyHostCount")
THROTTLE_METRICS = (
    "Throttles",
    "ThrottledRequests",
    "ReadThrottleEvents",
    "WriteThrottleEvents",
    "ExecutionThrottled",
)
MIN_BASELINE_POINTS = 6  # fewer and the series is not judged (minimum evidence)
MIN_INCIDENT_POINTS = 3
LEVEL_Z = 4.0  # robust z a level or sustained shift must reach
SPIKE_Z = 6.0  # robust z a single point must reach
SHIFT_POINTS = 12  # points in a running median (an hour at 5-minute periods)
SHIFT_RAW_Z = 2.0  # a running median must also move this many single-point units
MARGIN = 0.5  # how far past the baseline's largest excursion, in spreads of its largest ones
TOP_EXCURSIONS = 6
DAY_SECONDS = 86_400.0
RECUR_SECONDS = 5_400.0  # "same time of day" tolerance for recurring excursions
RECUR_SHARE = 0.7  # a recurring excursion is at least this share of the one it explains
COUNT_P_VALUE = 1e-3


def _direction(metric: str) -> int:
    if any(metric.endswith(name) or metric == name for name in UP_IS_BAD):
        return 1
    if metric in DOWN_IS_BAD:
        return -1
    return 0


def subject_of(spec: MetricSpec) -> str:
    if not spec.dimensions:
        return spec.namespace
    value = next(iter(sorted(spec.dimensions.items())))[1]
    return value.rsplit(":", 1)[-1] if value.startswith("arn:") else value


def _scale(values: Sequence[float], centre: float) -> float:
    """Robust spread around ``centre``: MAD, else the mean absolute deviation, floored at 5% of it."""
    spread = mad(values, centre)
    if spread <= 0.0 and values:
        spread = 1.2533 * sum(abs(v - centre) for v in values) / len(values)
    return max(spread, 0.05 * abs(centre), 1e-9)


def _rolling_median(values: Sequence[float], k: int) -> list[float]:
    if k <= 1:
        return list(values)
    window = sorted(values[:k])
    out = [median(window)]
    for i in range(k, len(values)):
        del window[bisect_left(window, values[i - k])]
        insort(window, values[i])
        out.append(median(window))
    return out


def _recurs(at: float, excursion: float, times: Sequence[float], excursions: Sequence[float]) -> bool:
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


def _bar(times: Sequence[float], excursions: Sequence[float], scale: float, gap: float) -> float:
    """How far past the baseline median a value must go to be unlike anything the baseline did."""
    tops: list[tuple[float, float]] = []
    for i in sorted(range(len(excursions)), key=lambda j: (-excursions[j], j)):
        if excursions[i] <= 0.0 or len(tops) == TOP_EXCURSIONS:
            break
        if any(abs(times[i] - t) <= gap for t, _ in tops) or _recurs(
            times[i], excursions[i], times, excursions
        ):
            continue
        tops.append((times[i], excursions[i]))
    top = tops[0][1] if tops else 0.0
    last = tops[-1][1] if len(tops) == TOP_EXCURSIONS else 0.0
    return top + MARGIN * max(top - last, scale)


@dataclass(frozen=True)
class _Series:
    times: list[float]
    values: Sequence[float]
    n_base: int
    centre: float
    scale: float  # robust spread of single baseline points
    floor: float  # smallest change that counts (one unit for counts)
    rate: float | None  # per-point Poisson rate when the series counts events

    @property
    def period(self) -> float:
        return (self.times[self.n_base - 1] - self.times[0]) / max(self.n_base - 1, 1)


def _surprising_count(s: _Series, start: int, k: int, candidates: int) -> bool:
    """For counts: k points summing this high are unlikely under the baseline's Poisson rate."""
    if s.rate is None:
        return True
    total = round(sum(s.values[start : start + k]))
    return poisson_sf(total, k * s.rate) * candidates <= COUNT_P_VALUE


def _scan(s: _Series, side: int, k: int, z: float) -> tuple[float, int, float] | None:
    """(excursion, index of the incident point, value at scale k) of the first value past the bar."""
    rolled = _rolling_median(s.values, k)
    cut = s.n_base - (k - 1)  # rolled values that end inside the baseline
    if cut < MIN_BASELINE_POINTS:
        return None
    whole = k == len(s.values) - s.n_base
    base_times = s.times[k - 1 : s.n_base]
    base = [side * (v - s.centre) for v in rolled[:cut]]
    scale = _scale(rolled[:cut], s.centre)
    # a median of k points varies ~1/sqrt(k) as much as one point; never trust a flat baseline more
    noise = s.scale if whole or k == 1 else max(scale, s.scale / math.sqrt(k))
    least = max(z * noise, s.floor, 0.0 if whole or k == 1 else SHIFT_RAW_Z * s.scale)
    bar = max(least, _bar(base_times, base, scale, 2 * k * s.period))
    candidates = range(len(rolled) - 1, len(rolled)) if whole else range(cut, len(rolled))
    for r in sorted(candidates, key=lambda j: (-side * (rolled[j] - s.centre), j)):
        excursion = side * (rolled[r] - s.centre)
        if excursion < bar:
            return None
        if _recurs(s.times[r + k - 1], excursion, base_times, base):
            continue
        if side > 0 and not _surprising_count(s, r, k, len(candidates)):
            continue
        point = max(range(max(r, s.n_base), r + k), key=lambda i: (side * s.values[i], -i))
        return excursion, point, rolled[r]
    return None


def analyse_series(
    spec: MetricSpec, series: MetricSeries, window_start: float
) -> tuple[float, int, str] | None:
    """(robust z, index of the most anomalous incident point, description) or None when normal."""
    times = [t.timestamp() for t in series.timestamps]
    n_base = sum(1 for t in times if t < window_start)
    n_inc = len(series.values) - n_base
    if n_base < MIN_BASELINE_POINTS or n_inc < MIN_INCIDENT_POINTS:
        return None
    base = series.values[:n_base]
    centre = median(base)
    counts = spec.stat in ("Sum", "SampleCount")
    integral = counts and all(v >= 0 and float(v).is_integer() for v in base)
    s = _Series(
        times=times,
        values=series.values,
        n_base=n_base,
        centre=centre,
        scale=_scale(base, centre),
        floor=1.0 if counts else 0.0,
        rate=max(sum(base) / n_base, 0.5 / n_base) if integral else None,
    )
    direction = _direction(spec.metric)
    scales = [(n_inc, LEVEL_Z, "level")]
    if n_inc > SHIFT_POINTS:
        scales.append((SHIFT_POINTS, LEVEL_Z, "sustained"))
    scales.append((1, SPIKE_Z, "spike"))
    for k, z, name in scales:
        found = [
            (hit[0] / s.scale, hit[1], hit[2])
            for side in ((direction,) if direction else (1, -1))
            if (hit := _scan(s, side, k, z)) is not None
        ]
        if not found:
            continue
        z_score, point, value = max(found)
        if name == "level":
            text = f"level shift: median {value:.4g} vs baseline median {centre:.4g}"
        elif name == "sustained":
            text = f"sustained shift: median of {k} points {value:.4g} vs baseline median {centre:.4g}"
        else:
            text = f"spike: {value:.4g} vs baseline median {centre:.4g}"
        return z_score, point, text
    return None


def metric_drafts(handles: EvidenceHandles) -> list[Draft]:
    evidence = handles.metrics
    if evidence is None:
        return []
    specs = {s.id: s for s in evidence.specs}
    window_start = evidence.window.start.timestamp()
    drafts = []
    for index, series in enumerate(evidence.series):
        spec = specs.get(series.id)
        if spec is None:
            continue
        result = analyse_series(spec, series, window_start)
        if result is None:
            continue
        z, point, description = result
        subject = subject_of(spec)
        kind = FindingKind.throttling if spec.metric in THROTTLE_METRICS else FindingKind.metric_anomaly
        drafts.append(
            Draft(
                kind=kind,
                title=f"{subject}: {spec.metric} ({spec.stat}) anomalous",
                summary=f"{spec.namespace} {spec.metric} {spec.stat} for {subject}: {description} (robust z={z:.1f}).",
                resource=subject if spec.dimensions else f"{spec.namespace}/{spec.metric}",
                subject=subject,
                severity=Severity.critical if z >= 20 else Severity.warning,
                confidence=clamp(0.45 + 0.02 * z, 0.0, 0.85),
                refs=[
                    handles.ref("metrics", f"/series/{index}"),
                    handles.ref("metrics", f"/series/{index}/values/{point}"),
                ],
                signature=f"{spec.namespace}/{spec.metric}/{spec.stat}",
                first_seen=series.timestamps[point],
                last_seen=series.timestamps[point],
            )
        )
    return drafts
