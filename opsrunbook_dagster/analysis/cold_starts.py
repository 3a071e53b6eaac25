"""Cold starts from Lambda REPORT lines: is the incident window's Init Duration slower than the baseline's?"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from contracts.base import Severity
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.lambda_platform import parse_report
from opsrunbook_dagster.analysis.log_findings import MAX_P_VALUE, REFS_PER_FINDING, function_of, spread
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.stats import clamp, median, poisson_sf, significance

#: Cold starts (REPORT lines with ``Init Duration``): a regression needs this many in each window,
#: Init Duration medians this far apart, and a one-sided rank-sum test this significant.
COLD_MIN_INCIDENT = 5
COLD_MIN_BASELINE = 2
COLD_MIN_RATIO = 1.5
COLD_MIN_DELTA_MS = 100.0
COLD_MAX_P_VALUE = 0.01
#: With fewer baseline cold starts than this the rank-sum test cannot reach significance; then the
#: median must at least double and most incident cold starts must be slower than every baseline one.
COLD_SOLID_BASELINE = 4
COLD_THIN_RATIO = 2.0
COLD_THIN_BEYOND = 0.75


def rank_sum_p(larger: list[float], other: list[float]) -> float:
    """One-sided Mann-Whitney U test: p-value of ``larger`` being no larger than ``other``.

    Normal approximation with mid-ranks for ties, the tie correction and a continuity correction
    (deterministic; conservative for very small samples).
    """
    m, n = len(larger), len(other)
    if m == 0 or n == 0:
        return 1.0
    combined = sorted([(v, 0) for v in larger] + [(v, 1) for v in other])
    ranks = [0.0] * len(combined)
    ties = 0.0
    i = 0
    while i < len(combined):
        j = i
        while j + 1 < len(combined) and combined[j + 1][0] == combined[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2.0 + 1.0
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    u = sum(r for r, (_, side) in zip(ranks, combined, strict=True) if side == 0) - m * (m + 1) / 2.0
    total = m + n
    variance = m * n / 12.0 * ((total + 1) - ties / (total * (total - 1)))
    if variance <= 0.0:
        return 1.0
    z = (u - m * n / 2.0 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 < q <= 100)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


@dataclass
class _Reports:
    """REPORT lines of one log group, per window: all durations, and the cold starts' Init Duration."""

    incident: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    cold_incident: list[tuple[int, float]] = field(default_factory=list)
    cold_baseline: list[tuple[int, float]] = field(default_factory=list)


def cold_start_drafts(handles: EvidenceHandles) -> list[Draft]:
    """Slower cold starts: the Init Duration of the incident window's cold starts against the baseline's.

    A finding needs ``COLD_MIN_INCIDENT`` cold starts in the window and ``COLD_MIN_BASELINE`` in the
    baseline (with fewer there is nothing to compare with: a deploy alone always brings cold starts),
    a median ``COLD_MIN_RATIO`` times and ``COLD_MIN_DELTA_MS`` above the baseline's, and a one-sided
    rank-sum p-value of at most ``COLD_MAX_P_VALUE`` - or, with a thin baseline (fewer than
    ``COLD_SOLID_BASELINE`` cold starts), a median ``COLD_THIN_RATIO`` times the baseline's with
    ``COLD_THIN_BEYOND`` of the incident's cold starts slower than every baseline one (and a lower
    confidence). More cold starts per invocation than before
    and a higher p99 Duration are reported alongside, never on their own (scale-outs and deploys
    bring more cold starts without anything being wrong).
    """
    assert handles.logs is not None
    rows = handles.logs.rows
    per_group: dict[str, _Reports] = defaultdict(_Reports)
    for index, row in enumerate(rows):
        report = parse_report(row.message)
        if report is None:
            continue
        reports = per_group[row.log_group]
        incident = row.window == "incident"
        if report.duration_ms is not None:
            (reports.incident if incident else reports.baseline).append(report.duration_ms)
        if report.init_ms is not None:
            (reports.cold_incident if incident else reports.cold_baseline).append((index, report.init_ms))
    drafts = []
    for log_group in sorted(per_group):
        reports = per_group[log_group]
        inc = [v for _, v in reports.cold_incident]
        base = [v for _, v in reports.cold_baseline]
        if len(inc) < COLD_MIN_INCIDENT or len(base) < COLD_MIN_BASELINE:
            continue
        med_i, med_b = median(inc), median(base)
        ratio = med_i / max(med_b, 1e-9)
        if ratio < COLD_MIN_RATIO or med_i - med_b < COLD_MIN_DELTA_MS:
            continue
        p_value = rank_sum_p(inc, base)
        solid = len(base) >= COLD_SOLID_BASELINE
        beyond = sum(1 for v in inc if v > max(base)) / len(inc)
        if solid and p_value > COLD_MAX_P_VALUE:
            continue
        if not solid and (ratio < COLD_THIN_RATIO or beyond < COLD_THIN_BEYOND):
            continue
        n_inc, n_base = max(len(reports.incident), len(inc)), max(len(reports.baseline), len(base))
        expected = len(base) * n_inc / max(n_base, 1)
        more = len(inc) >= 2 * expected and poisson_sf(len(inc), max(expected, 0.5)) <= MAX_P_VALUE
        confidence = clamp(
            0.55 + 0.02 * significance(p_value) + (0.05 if ratio >= 2 else 0.0) + (0.03 if more else 0.0),
            0.0,
            0.85 if solid else 0.7,
        )
        ordered = sorted(reports.cold_incident, key=lambda c: (rows[c[0]].timestamp, c[0]))
        refs = [handles.ref("logs", f"/rows/{i}") for i in spread([c[0] for c in ordered], REFS_PER_FINDING)]
        refs.append(handles.ref("logs", f"/rows/{min(reports.cold_baseline, key=lambda c: c[0])[0]}"))
        subject = function_of(log_group)
        rate = (
            f"{len(inc)} of {n_inc} invocations ({len(inc) / n_inc:.0%}) cold-started in the incident window"
            f" vs {len(base)} of {n_base} ({len(base) / n_base:.0%}) in the baseline"
        )
        p99 = ""
        if reports.incident and reports.baseline:
            p99 = (
                f"; p99 Duration {_percentile(reports.baseline, 99):.0f} ms ->"
                f" {_percentile(reports.incident, 99):.0f} ms"
            )
        drafts.append(
            Draft(
                kind=FindingKind.cold_start,
                title=(
                    f"{subject}: cold starts slower - Init Duration median {med_b:.0f} ms -> {med_i:.0f} ms"
                    f" ({ratio:.1f}x)"
                ),
                summary=(
                    f"Lambda REPORT lines in {log_group}: {rate}; Init Duration median {med_b:.0f} ms ->"
                    f" {med_i:.0f} ms, max {max(base):.0f} ms -> {max(inc):.0f} ms (rank-sum p={p_value:.2e})"
                    f"{p99}."
                ),
                resource=log_group,
                subject=subject,
                severity=Severity.critical if ratio >= 3 and len(inc) >= 10 else Severity.warning,
                confidence=confidence,
                refs=refs,
                signature="REPORT Init Duration (cold start)",
                count=len(inc),
                baseline_count=len(base),
                first_seen=rows[ordered[0][0]].timestamp,
                last_seen=rows[ordered[-1][0]].timestamp,
            )
        )
    return drafts
