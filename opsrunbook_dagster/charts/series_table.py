"""The metric series of an evidence object as table rows with a text sparkline (no plotting
library: the evidence step stays light; the real charts are drawn after the packet)."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import Any

from contracts.evidence import MetricsEvidenceV1

BLOCKS = "▁▂▃▄▅▆▇█"
MAX_ROWS = 50
COLUMNS = ("series", "metric", "points", "min", "median", "max", "last", "sparkline")


def sparkline(values: Sequence[float], width: int = 48) -> str:
    """``width`` characters, each the mean of its share of the points, scaled min..max."""
    finite = [v for v in values if v == v]
    if not finite:
        return ""
    buckets = [finite[i * len(finite) // width : (i + 1) * len(finite) // width] for i in range(width)]
    means = [sum(b) / len(b) for b in buckets if b]
    low, high = min(means), max(means)
    if high == low:
        return BLOCKS[0] * len(means)
    return "".join(BLOCKS[min(int((m - low) / (high - low) * len(BLOCKS)), len(BLOCKS) - 1)] for m in means)


def _number(value: float) -> str:
    return f"{value:.4g}"


def series_rows(evidence: MetricsEvidenceV1) -> list[dict[str, Any]]:
    specs = {s.id: s for s in evidence.specs}
    rows = []
    for series in evidence.series[:MAX_ROWS]:
        spec = specs.get(series.id)
        values = list(series.values)
        rows.append(
            {
                "series": series.label,
                "metric": f"{spec.namespace}/{spec.metric} {spec.stat}" if spec else series.id,
                "points": len(values),
                "min": _number(min(values)) if values else "-",
                "median": _number(median(values)) if values else "-",
                "max": _number(max(values)) if values else "-",
                "last": _number(values[-1]) if values else "-",
                "sparkline": sparkline(values) or "(no data points)",
            }
        )
    return rows
