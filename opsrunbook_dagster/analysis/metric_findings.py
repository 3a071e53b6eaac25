"""Findings from metric evidence: is anything in the incident window unlike the baseline before it?

The baseline is summarised robustly (median; MAD, or the mean absolute deviation when more than
half the points are equal) and the window is examined at three scales, each against the same
scale of the baseline:

* **level shift** - the median of the whole window, against the medians of every stretch of the
  baseline of the same length;
* **sustained shift** - running medians of ``SHIFT_POINTS`` points (a change that lasts);
* **spike** - single points.

At each scale a value is a finding only when it is far from the baseline median in robust units
(``LEVEL_Z``; ``SPIKE_Z`` for single points, or ``LEVEL_Z`` for a point ``RECORD_RATIO`` times as
far out as every baseline point on its side, a new record; a running median also ``SHIFT_RAW_Z``
single-point units) *and* clearly beyond what the baseline itself did at that scale: past its largest
excursion by ``MARGIN`` times the spread of its ``TOP_EXCURSIONS`` largest (de-clustered, so one
burst counts once). Bursty or spiky series are thus judged against their own bursts and spikes.
An excursion that recurs at the same time of day (+/- 90 min) on every other day the baseline
covers - a nightly job - is the normal pattern: it neither raises the bar nor counts.

When the baseline changed level and stayed there (``regime_start``: a stretch at least as long
as the window, mostly at one level that nothing before it came near), only that current regime
is the baseline, from ``SHIFT_POINTS`` points after the change: the old level and the change's own transient
(a restart spike) say nothing about what is normal now.

A steady metric that turns erratic without moving its level (utilisation or traffic flipping
between two values) is caught by a fourth check, **noisier**: running medians of
``NOISE_POINTS`` point-to-point steps, reported when one is ``NOISE_RATIO`` times the baseline's
usual step *and* ``NOISE_MARGIN`` times the bar the baseline's own running steps set (so a
bursty baseline keeps its bursts). Only for metrics where neither direction is bad.

Direction matters: for errors, throttles or latency only an increase is a finding, for
invocations or healthy hosts only a drop, for other metrics both. Sum/SampleCount changes below
one unit never count, and an increase in a count series (non-negative integers) must also be
unlikely under the baseline's Poisson rate (``COUNT_P_VALUE``, corrected for the number of
places looked at), so a sparse error counter going 0, 0, 2 is not an incident. A baseline that
never moved is reported as "flat at X", and robust z is capped at ``Z_CAP`` (a flat baseline has
no spread to divide by). Helpers live in ``metric_baseline`` and ``metric_semantics``.

``python -m benchmarks.nab_windows`` measures recall and false alarms on NAB's real AWS series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from contracts._base import Severity
from contracts.evidence import MetricSeries, MetricSpec
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.metric_baseline import (
    bar,
    recurs,
    regime_start,
    robust_scale,
    rolling_median,
)
from opsrunbook_dagster.analysis.metric_semantics import THROTTLE_METRICS, direction_of, subject_of
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.readable import metric_title, span
from opsrunbook_dagster.analysis.stats import clamp, median, poisson_sf

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
class _Series:
    times: list[float]
    values: Sequence[float]
    n_base: int
    centre: float
    scale: float  # robust spread of single baseline points
    floor: float  # smallest change that counts (one unit for counts)
    rate: float | None  # per-point Poisson rate when the series counts events
    shifts: list[float]  # running medians of SHIFT_POINTS points

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
    rolled = s.shifts if k == SHIFT_POINTS else rolling_median(s.values, k)
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
    limit = max(least, bar(base_times, base, scale, 2 * k * s.period))
    candidates = range(len(rolled) - 1, len(rolled)) if whole else range(cut, len(rolled))
    for r in sorted(candidates, key=lambda j: (-side * (rolled[j] - s.centre), j)):
        excursion = side * (rolled[r] - s.centre)
        if excursion < limit:
            return None
        if recurs(s.times[r + k - 1], excursion, base_times, base):
            continue
        if side > 0 and not _surprising_count(s, r, k, len(candidates)):
            continue
        point = max(range(max(r, s.n_base), r + k), key=lambda i: (side * s.values[i], -i))
        return excursion, point, rolled[r]
    return None


def _scan_noise(s: _Series, k: int) -> tuple[float, int, float, float] | None:
    """(robust z, index of the incident point, running step, usual step) when the point-to-point noise of k
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
    for r in sorted(range(cut, len(rolled)), key=lambda j: (-rolled[j], j)):
        rise = rolled[r] - usual
        if rise < limit:
            return None
        if recurs(s.times[r + k], rise, base_times, base):
            continue
        point = max(range(max(r, s.n_base), r + k + 1), key=lambda i: (abs(s.values[i] - s.centre), -i))
        return rise / max(usual, scale), point, rolled[r], usual
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
    values = series.values
    shifts = rolling_median(values, SHIFT_POINTS)
    start = regime_start(values, shifts, n_base, max(n_inc, 2 * SHIFT_POINTS), SHIFT_POINTS, LEVEL_Z)
    times, values, shifts, n_base = times[start:], values[start:], shifts[start:], n_base - start
    base = values[:n_base]
    centre = median(base)
    flat = min(base) == max(base)
    against = f"baseline flat at {centre:.4g}" if flat else f"baseline median {centre:.4g}"
    if start:
        against += f" from {series.timestamps[start]:%Y-%m-%d %H:%M} on, after a level change"
    else:
        against += f" over the {span(window_start - times[0])} before the window"
    counts = spec.stat in ("Sum", "SampleCount")
    integral = counts and all(v >= 0 and float(v).is_integer() for v in base)
    s = _Series(
        times=times,
        values=values,
        n_base=n_base,
        centre=centre,
        scale=robust_scale(base, centre),
        floor=1.0 if counts else 0.0,
        rate=max(sum(base) / n_base, 0.5 / n_base) if integral else None,
        shifts=shifts,
    )
    direction = direction_of(spec.metric)
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
            text = f"level shift: median {value:.4g} vs {against}"
        elif name == "sustained":
            text = f"sustained shift: median of {k} points {value:.4g} vs {against}"
        else:
            text = f"spike: {value:.4g} vs {against}"
        return min(z_score, Z_CAP), start + point, text
    # neither level nor direction changed, but a steady metric became erratic (utilisation, traffic)
    if direction == 0 and n_inc > NOISE_POINTS and (hit := _scan_noise(s, NOISE_POINTS)) is not None:
        z_score, point, step, usual = hit
        text = f"noisier: median step of {step:.4g} over {NOISE_POINTS} points vs {usual:.4g} in the baseline"
        return min(z_score, Z_CAP), start + point, text
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
        z_text = f"robust z={z:.1f}" if z < Z_CAP else f"robust z>={Z_CAP:.0f}"
        subject = subject_of(spec)
        kind = FindingKind.throttling if spec.metric in THROTTLE_METRICS else FindingKind.metric_anomaly
        drafts.append(
            Draft(
                kind=kind,
                title=f"{subject}: {spec.metric} ({spec.stat}) anomalous",
                headline=metric_title(subject, spec.metric, spec.stat, description),
                summary=f"{spec.namespace} {spec.metric} {spec.stat} for {subject}: {description} ({z_text}).",
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
