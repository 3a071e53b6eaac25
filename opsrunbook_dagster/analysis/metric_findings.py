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

A metric with a strong daily pattern (``metric_season``: a baseline of at least two days whose
same-time-of-day profile explains at least half its spread) is judged by each point's distance
from the usual for its time of day, and its finding says so ("daily seasonal baseline"). It is for
day/night traffic, where a drop at the evening peak is still above the night's level. The baseline
of a short incident (three times the window) cannot show a daily pattern, so the collector also
fetches a **season probe**, the week before the window at coarser points. When the probe has a
daily pattern, a finding of the fetched series must also be unusual for the time of day on the
probe (its points in the window against the usual for their time of day over the week), and the
finding then names that baseline; a morning ramp or an evening decline is no incident.

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
no spread to divide by). Helpers live in ``metric_scan``, ``metric_baseline`` and ``metric_semantics``.

``python -m benchmarks.nab_windows`` measures recall and false alarms on NAB's real AWS series.
"""

from __future__ import annotations

from itertools import pairwise

from contracts.base import Severity
from contracts.evidence import MetricSeries, MetricSpec
from contracts.packet import FindingKind, MetricBand
from opsrunbook_dagster.analysis.metric_baseline import regime_start, robust_scale, rolling_median
from opsrunbook_dagster.analysis.metric_scan import (
    LEVEL_Z,
    MIN_BASELINE_POINTS,
    MIN_INCIDENT_POINTS,
    NOISE_POINTS,
    SHIFT_POINTS,
    SPIKE_Z,
    Z_CAP,
    Series,
    limit_of,
    scan,
    scan_noise,
)
from opsrunbook_dagster.analysis.metric_season import daily_season
from opsrunbook_dagster.analysis.metric_semantics import THROTTLE_METRICS, direction_of, subject_of
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.readable import metric_title, span
from opsrunbook_dagster.analysis.stats import clamp, median


def _band(
    series: MetricSeries, s: Series, start: int, sides: tuple[int, ...], scale: tuple[int, float, str]
) -> dict[str, object]:
    """The fields of a ``MetricBand`` common to every verdict at ``scale`` (k, z, name)."""
    k, z, name = scale
    limits = {side: (judged[0] if (judged := limit_of(s, side, k, z)) else None) for side in sides}
    up, down = limits.get(1), limits.get(-1)
    return {
        "series_id": series.id,
        "scale": name,
        "points": k,
        "baseline_start": series.timestamps[start],
        "baseline_median": _round(s.centre),
        "upper": None if up is None else _round(s.centre + up),
        "lower": None if down is None else _round(s.centre - down),
    }


def _seasonal_text(name: str, k: int, off: float, value: float, usual: float, against: str) -> str:
    """A verdict against the daily profile: how far from the usual for the time of day."""
    if name == "spike":
        return f"spike: {value:.4g} where {usual:.4g} is usual at that time of day, vs {against}"
    what = "median of the window" if name == "level" else f"median of {k} points"
    return f"{name} shift: {what} {off:+.4g} from the usual for the time of day, vs {against}"


def _round(value: float) -> float:
    """Six significant digits: what a chart needs, and stable in the packet."""
    return float(f"{value:.6g}")


def analyse_series(
    spec: MetricSpec, series: MetricSeries, window_start: float
) -> tuple[float, int, str] | None:
    """(robust z, index of the most anomalous incident point, description) or None when normal."""
    verdict = judge_series(spec, series, window_start)
    return None if verdict is None else verdict[0]


Verdict = tuple[tuple[float, int, str], MetricBand]


class _NotSeasonal:
    """The season probe shows no daily pattern (or is too short): the series' own verdict stands."""


_NOT_SEASONAL = _NotSeasonal()


def judge_series(
    spec: MetricSpec, series: MetricSeries, window_start: float, probe: MetricSeries | None = None
) -> Verdict | None:
    """``analyse_series`` plus the band the verdict was judged against (for charts).

    A season probe with a daily pattern can only clear or confirm what the series shows: a finding
    of the series stands only if the window is also unusual for its time of day over the week (the
    probe's verdict replaces it, naming that baseline); the probe alone raises nothing (on NAB's
    tuning halves, letting it do so added false alarms and no hit)."""
    verdict = _judge(spec, series, window_start, seasonal_only=False)
    if verdict is None or isinstance(verdict, _NotSeasonal) or probe is None:
        return None if isinstance(verdict, _NotSeasonal) else verdict
    seasonal = _judge(spec, probe, window_start, seasonal_only=True)
    return verdict if isinstance(seasonal, _NotSeasonal) else seasonal


def _judge(
    spec: MetricSpec, series: MetricSeries, window_start: float, seasonal_only: bool
) -> Verdict | _NotSeasonal | None:
    times = [t.timestamp() for t in series.timestamps]
    n_base = sum(1 for t in times if t < window_start)
    n_inc = len(series.values) - n_base
    if n_base < MIN_BASELINE_POINTS or n_inc < MIN_INCIDENT_POINTS:
        return _NOT_SEASONAL if seasonal_only else None
    values = series.values
    season = daily_season(times, values, n_base)
    if season is None and seasonal_only:
        return _NOT_SEASONAL
    if season is not None:  # judged by each point's distance from the usual for its time of day
        expected = season.expected
        values = season.residuals(values, median(values[:n_base]))
    shifts = rolling_median(values, SHIFT_POINTS)
    start = regime_start(values, shifts, n_base, max(n_inc, 2 * SHIFT_POINTS), SHIFT_POINTS, LEVEL_Z)
    times, values, shifts, n_base = times[start:], values[start:], shifts[start:], n_base - start
    base = values[:n_base]
    centre = median(base)
    flat = min(base) == max(base)
    against = f"baseline flat at {centre:.4g}" if flat else f"baseline median {centre:.4g}"
    if season is not None:
        against = "the same time of day"
    if start:
        against += f" from {series.timestamps[start]:%Y-%m-%d %H:%M} on, after a level change"
    else:
        against += f" over the {span(window_start - times[0])} before the window"
    if seasonal_only:
        period = span(median([b - a for a, b in pairwise(times)]))  # n_base >= 6: there are steps
        against += f" (daily seasonal baseline of the week's {period} points, median {centre:.4g})"
    elif season is not None:
        against += f" (daily seasonal baseline, median {centre:.4g})"
    counts = spec.stat in ("Sum", "SampleCount")
    # residuals from a daily profile are not event counts: no Poisson rate for them
    integral = counts and season is None and all(v >= 0 and float(v).is_integer() for v in base)
    s = Series(
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
    sides = (direction,) if direction else (1, -1)
    scales = [(n_inc, LEVEL_Z, "level")]
    if n_inc > SHIFT_POINTS:
        scales.append((SHIFT_POINTS, LEVEL_Z, "sustained"))
    scales.append((1, SPIKE_Z, "spike"))
    for k, z, name in scales:
        found = [
            (hit.excursion / s.scale, hit.point, hit.value, hit)
            for side in sides
            if (hit := scan(s, side, k, z))
        ]
        if not found:
            continue
        z_score, point, value, best = max(found, key=lambda f: f[:3])
        if season is not None:
            text = _seasonal_text(
                name, k, value - centre, series.values[start + point], expected[start + point], against
            )
        elif name == "level":
            text = f"level shift: median {value:.4g} vs {against}"
        elif name == "sustained":
            text = f"sustained shift: median of {k} points {value:.4g} vs {against}"
        else:
            text = f"spike: {value:.4g} vs {against}"
        band = MetricBand(
            **_band(series, s, start, sides if season is None else (), (k, z, name)),  # type: ignore[arg-type]
            series_set="season_series" if seasonal_only else "series",
            value=_round(value),
            anomaly_start=series.timestamps[start + best.first],
            anomaly_end=series.timestamps[start + best.last],
        )
        return (min(z_score, Z_CAP), start + point, text), band
    # neither level nor direction changed, but a steady metric became erratic (utilisation, traffic)
    if direction == 0 and n_inc > NOISE_POINTS and (noisy := scan_noise(s, NOISE_POINTS)) is not None:
        z_score, point, step, usual, first, last = noisy
        text = f"noisier: median step of {step:.4g} over {NOISE_POINTS} points vs {usual:.4g} in the baseline"
        band = MetricBand(
            series_id=series.id,
            scale="noisier",
            points=NOISE_POINTS,
            baseline_start=series.timestamps[start],
            baseline_median=_round(centre),
            value=_round(step),
            anomaly_start=series.timestamps[start + first],
            anomaly_end=series.timestamps[start + last],
        )
        return (min(z_score, Z_CAP), start + point, text), band
    return None


def metric_drafts(handles: EvidenceHandles) -> list[Draft]:
    evidence = handles.metrics
    if evidence is None:
        return []
    specs = {s.id: s for s in evidence.specs}
    probes = {s.id: (i, s) for i, s in enumerate(evidence.season_series)}
    window_start = evidence.window.start.timestamp()
    drafts = []
    for index, series in enumerate(evidence.series):
        spec = specs.get(series.id)
        if spec is None:
            continue
        probe_index, probe = probes.get(series.id, (-1, None))
        verdict = judge_series(spec, series, window_start, probe)
        if verdict is None:
            continue
        (z, point, description), band = verdict
        if band.series_set == "season_series" and probe is not None:
            series, where = probe, f"/season_series/{probe_index}"
        else:
            where = f"/series/{index}"
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
                refs=[handles.ref("metrics", where), handles.ref("metrics", f"{where}/values/{point}")],
                signature=f"{spec.namespace}/{spec.metric}/{spec.stat}",
                first_seen=series.timestamps[point],
                last_seen=series.timestamps[point],
                metric=band,
            )
        )
    return drafts
