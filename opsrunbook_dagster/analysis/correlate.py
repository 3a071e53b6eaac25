"""Merge findings about the same subject into one causal finding, then rank deterministically."""

from __future__ import annotations

from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.model import Draft
from opsrunbook_dagster.analysis.stats import clamp

#: Which metric supports which log-level cause.
_SUPPORTS = {
    FindingKind.lambda_timeout: ("Duration", "Errors"),
    FindingKind.out_of_memory: ("Errors", "Duration"),
    FindingKind.throttling: ("Throttles", "Throttle", "Errors"),
    FindingKind.runtime_error: ("Errors",),
    FindingKind.log_signature: ("Errors",),
    FindingKind.dependency_failure: ("Errors", "Duration"),
}
_KIND_ORDER = {kind: i for i, kind in enumerate(FindingKind)}
_SEVERITY = {"critical": 2, "warning": 1, "info": 0}


def _absorb(target: Draft, source: Draft, boost: float) -> None:
    target.refs.extend(source.refs)
    target.supporting.append(source.title)
    target.confidence = clamp(target.confidence + boost, 0.0, 0.97)


def _merge_duplicates(drafts: list[Draft]) -> list[Draft]:
    """Several signatures of one problem on one resource (e.g. a warning, an error and a traceback) become one."""
    by_key: dict[tuple[str, str], list[Draft]] = {}
    for draft in drafts:
        if draft.kind not in (
            FindingKind.log_signature,
            FindingKind.metric_anomaly,
            FindingKind.stepfn_failure,
        ):
            by_key.setdefault((draft.kind.value, draft.resource), []).append(draft)
    absorbed: set[int] = set()
    for group in by_key.values():
        if len(group) < 2:
            continue
        lead = max(group, key=lambda d: (d.confidence, d.count or 0, d.title))
        for other in group:
            if other is not lead:
                lead.refs.extend(other.refs)
                lead.supporting.append(other.title)
                lead.count = (lead.count or 0) + (other.count or 0)
                absorbed.add(id(other))
    return [d for d in drafts if id(d) not in absorbed]


def correlate(drafts: list[Draft]) -> list[Draft]:
    """Metric anomalies join the log finding they explain; a Step Functions failure absorbs its task's Lambda."""
    drafts = _merge_duplicates(drafts)
    causes = [d for d in drafts if d.kind not in (FindingKind.metric_anomaly, FindingKind.stepfn_failure)]
    merged: set[int] = set()
    for metric in drafts:
        if metric.kind not in (FindingKind.metric_anomaly, FindingKind.throttling) or not metric.signature:
            continue
        if "/" not in (metric.signature or "") or metric.signature.startswith("/"):
            continue
        metric_name = metric.signature.split("/")[-2]
        candidates = [
            c
            for c in causes
            if c is not metric
            and c.subject == metric.subject
            and any(m in metric_name for m in _SUPPORTS.get(c.kind, ()))
        ]
        if candidates:
            best = max(candidates, key=lambda c: (c.confidence, c.title))
            _absorb(best, metric, 0.03)
            merged.add(id(metric))
    for sfn in (d for d in drafts if d.kind == FindingKind.stepfn_failure):
        machine = sfn.resource.rsplit(":", 1)[-1]
        for metric in drafts:
            if (
                (metric.signature or "").startswith("AWS/States/")
                and metric.subject == machine
                and id(metric) not in merged
            ):
                _absorb(sfn, metric, 0.05)
                merged.add(id(metric))
        for cause in causes:
            if id(cause) not in merged and cause.subject == sfn.subject and cause is not sfn:
                _absorb(sfn, cause, 0.03)
                merged.add(id(cause))
    return [d for d in drafts if id(d) not in merged]


def rank(drafts: list[Draft]) -> list[Draft]:
    """Most likely root cause first: confidence, then severity, kind, title (all deterministic)."""
    return sorted(
        drafts,
        key=lambda d: (
            -round(d.confidence, 3),
            -_SEVERITY[d.severity.value],
            _KIND_ORDER[d.kind],
            d.resource,
            d.title,
        ),
    )
