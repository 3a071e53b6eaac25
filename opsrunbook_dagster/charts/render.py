"""One metric finding as a PNG: the series, the baseline band it was judged against, the incident
window shaded and the anomalous span marked.

Deterministic bytes for the same input: matplotlib's object API on an Agg canvas (no pyplot, no
global backend), a fixed size, dpi and font (DejaVu Sans, bundled with matplotlib), every style
setting pinned in an ``rc_context``, and PNG metadata without the ``Software`` entry (Agg writes
no timestamp). matplotlib is imported on the first render only: the analyzer never loads it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from contracts.evidence import MetricSeries
from contracts.packet import MetricBand

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.2, 100  # 800 x 320 px
#: Every rc setting the drawing depends on, pinned (a user's matplotlibrc cannot change the bytes).
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 8.0,
    "legend.fontsize": 7.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.2,
    "lines.antialiased": True,
    "patch.antialiased": True,
    "text.antialiased": True,
    "text.hinting": "force_autohint",
    "axes.unicode_minus": True,
    "path.simplify": True,
    "agg.path.chunksize": 0,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    "timezone": "UTC",
}
COLOURS = {
    "series": "#1f4e79",
    "old": "#9e9e9e",
    "band": "#4caf50",
    "window": "#ff9800",
    "anomaly": "#d32f2f",
}


@dataclass(frozen=True)
class ChartInput:
    """What one chart shows; built from the packet's finding and the stored metric evidence."""

    title: str
    unit_label: str
    series: MetricSeries
    band: MetricBand
    window_start: datetime
    window_end: datetime


def _naive(moment: datetime) -> datetime:
    """matplotlib converts aware datetimes through the local zone rules; hand it naive UTC."""
    return moment.replace(tzinfo=None)


def render_png(chart: ChartInput) -> bytes:
    import matplotlib  # lazily: ~0.3 s and ~30 MB, paid only where charts are drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    band, series = chart.band, chart.series
    times = [_naive(t) for t in series.timestamps]
    values = list(series.values)
    start = _naive(band.baseline_start)
    with matplotlib.rc_context(cast(Any, STYLE)):
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        FigureCanvasAgg(figure)
        axes: Any = figure.add_axes((0.07, 0.14, 0.68, 0.74))
        axes.axvspan(_naive(chart.window_start), _naive(chart.window_end), color=COLOURS["window"],
                     alpha=0.15, lw=0, label="incident window")  # fmt: skip
        axes.axvspan(_naive(band.anomaly_start), _naive(band.anomaly_end), color=COLOURS["anomaly"],
                     alpha=0.18, lw=0, label=f"anomalous ({band.scale})")  # fmt: skip
        finite = [*(v for v in values if v == v), band.baseline_median]
        low = band.lower if band.lower is not None else min(finite)
        high = band.upper if band.upper is not None else max(finite)
        span = [t for t in times if t >= start] or times
        axes.fill_between([span[0], span[-1]], [low, low], [high, high], color=COLOURS["band"],
                          alpha=0.18, lw=0, label="baseline band")  # fmt: skip
        axes.plot([span[0], span[-1]], [band.baseline_median] * 2, color=COLOURS["band"], lw=0.9,
                  ls="--", label=f"baseline median {band.baseline_median:.4g}")  # fmt: skip
        old = [i for i, t in enumerate(times) if t < start]
        if old:
            last = old[-1] + 1
            axes.plot(
                times[: last + 1], values[: last + 1], color=COLOURS["old"], label="before level change"
            )
        first = old[-1] + 1 if old else 0
        axes.plot(times[first:], values[first:], color=COLOURS["series"], label=chart.unit_label)
        if band.scale in ("level", "sustained"):
            axes.plot([_naive(band.anomaly_start), _naive(band.anomaly_end)], [band.value] * 2,
                      color=COLOURS["anomaly"], lw=2.0, label=f"judged median {band.value:.4g}")  # fmt: skip
        else:
            peak = max(
                (
                    i
                    for i, t in enumerate(times)
                    if _naive(band.anomaly_start) <= t <= _naive(band.anomaly_end)
                ),
                key=lambda i: (abs(values[i] - band.baseline_median), -i),
                default=None,
            )
            if peak is not None:
                axes.plot([times[peak]], [values[peak]], "o", color=COLOURS["anomaly"], ms=5,
                          label=f"anomalous point {values[peak]:.4g}")  # fmt: skip
        axes.set_title(chart.title[:110], loc="left")
        axes.set_xlabel(f"time (UTC) from {times[0]:%Y-%m-%d %H:%M}" if times else "time (UTC)")
        axes.xaxis.set_major_formatter(DateFormatter("%H:%M"))
        axes.grid(True, color="#e0e0e0", lw=0.5)
        axes.margins(x=0.01)
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
