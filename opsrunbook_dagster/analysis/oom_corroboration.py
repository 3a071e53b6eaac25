"""Out-of-memory kills too few to stand alone, corroborated by the resource's own memory metric.

A log signature needs three occurrences before it is a finding (``log_findings``), so a function
whose execution environments are killed twice in an hour for running out of memory shows only its
memory metric climbing: a ``metric_anomaly``. Two independent signals on one resource in one
window say more than either: when a memory metric of a resource rises to a finding and that
resource's logs show out-of-memory lines in the window (and none in the baseline), the metric
finding becomes an ``out_of_memory`` finding that also cites those lines. Nothing is added where a
log finding of that kind already exists.

Pure and deterministic, run on the drafts before correlation.
"""

from __future__ import annotations

import re

from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.lambda_platform import OOM_RE, parse_report
from opsrunbook_dagster.analysis.log_findings import function_of
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles

_MEMORY_METRIC = re.compile(r"(?i)mem(ory)?_?(util|used|usage)|MemoryUtilization|mem_used_percent")
MAX_REFS = 5


def oom_rows(handles: EvidenceHandles) -> dict[str, tuple[list[int], int]]:
    """Per subject (function or log group): the incident rows showing an out-of-memory kill, and how
    many baseline rows did."""
    if handles.logs is None:
        return {}
    found: dict[str, tuple[list[int], int]] = {}
    for index, row in enumerate(handles.logs.rows):
        report = parse_report(row.message)
        if not (report.out_of_memory if report else bool(OOM_RE.search(row.message))):
            continue
        rows, before = found.get(function_of(row.log_group), ([], 0))
        if row.window == "incident":
            rows.append(index)
        else:
            before += 1
        found[function_of(row.log_group)] = (rows, before)
    return found


def corroborate_oom(drafts: list[Draft], handles: EvidenceHandles) -> None:
    """Turn a rising memory metric into ``out_of_memory`` where its resource's logs show the kills."""
    covered = {d.subject for d in drafts if d.kind == FindingKind.out_of_memory}
    sightings = oom_rows(handles)
    for draft in drafts:
        band = draft.metric
        if draft.kind != FindingKind.metric_anomaly or band is None or draft.subject in covered:
            continue
        metric = draft.metric_name
        rows, before = sightings.get(draft.subject, ([], 0))
        if not rows or before or not _MEMORY_METRIC.search(metric) or band.value <= band.baseline_median:
            continue
        assert handles.logs is not None
        example = handles.logs.rows[rows[0]].message.splitlines()[0][:200]
        draft.kind = FindingKind.out_of_memory
        draft.headline = f"{draft.shown} — {len(rows)} out-of-memory kill(s) in its logs, none before"
        draft.summary += (
            f" Its logs show {len(rows)} out-of-memory line(s) in the window and none before"
            f" (first: '{example}'): the memory it ran out of."
        )
        draft.refs.extend(handles.ref("logs", f"/rows/{i}") for i in rows[:MAX_REFS])
        covered.add(draft.subject)
