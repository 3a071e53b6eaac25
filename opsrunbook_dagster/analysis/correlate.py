"""Merge findings about the same subject into one causal finding, then rank deterministically.

Four steps, each a general rule:

1. **Duplicates** - several signatures of one kind on one resource become one finding; a metric
   finding narrowed by a further dimension (``Operation``) joins the one on the resource itself.
2. **Same resource, same time** - on one resource, a finding whose kind explains another's
   (``EXPLAINS``: out-of-memory explains timeouts and crashes, a failing dependency explains
   timeouts and errors, ...) absorbs it when their incident spans overlap: one causal finding that
   cites all the evidence. Metric anomalies join the log finding they support; a Step Functions
   failure absorbs its task's Lambda.
3. **Across resources** (``dependency_graph``, ``causality``) - a caller's symptom (timeouts,
   dependency failures, throttling, errors, a failing workflow) is explained by its callee's own
   condition when the evidence shows the call: its rows name the callee (a name, an ARN, a host),
   its failing task invokes it, it quotes the callee's service's errors and only one such
   component shows a condition, both throttle and the callee sits on a deeper layer, or it times
   out while the other fails with a dependency failure. Causes at the end of each chain rank above
   everything they explain; both ends record the link.
4. **Ranking** - confidence, severity, kind, resource, title: total and deterministic.
"""

from __future__ import annotations

from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.causality import (
    MAX_CONFIDENCE,
    SEVERITY_RANK,
    SLACK,
    explain_across,
    from_metrics,
    names_of,
    rank_key,
)
from opsrunbook_dagster.analysis.dependency_graph import OWN_FAILURE_KINDS
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.stats import clamp

#: Which metric supports which log-level cause.
_SUPPORTS = {
    FindingKind.lambda_timeout: ("Duration", "Errors"),
    FindingKind.out_of_memory: ("Errors", "Duration", "memory"),
    FindingKind.throttling: ("Throttles", "Throttle", "Errors"),
    FindingKind.runtime_error: ("Errors",),
    FindingKind.log_signature: ("Errors",),
    FindingKind.dependency_failure: ("Errors", "Duration", "Latency", "Connection", "5XX", "Availability"),
    FindingKind.cold_start: ("Duration", "ConcurrentExecutions"),
}
#: On one resource at one time, which kinds of finding a kind explains (the cause leads the merge).
EXPLAINS: dict[FindingKind, frozenset[FindingKind]] = {
    FindingKind.out_of_memory: frozenset(
        {
            FindingKind.lambda_timeout,
            FindingKind.runtime_error,
            FindingKind.log_signature,
            FindingKind.error_rate,
            FindingKind.cold_start,
        }
    ),
    FindingKind.throttling: frozenset(
        {
            FindingKind.lambda_timeout,
            FindingKind.runtime_error,
            FindingKind.log_signature,
            FindingKind.error_rate,
        }
    ),
    FindingKind.dependency_failure: frozenset(
        {
            FindingKind.lambda_timeout,
            FindingKind.runtime_error,
            FindingKind.log_signature,
            FindingKind.error_rate,
        }
    ),
    FindingKind.lambda_timeout: frozenset(
        {FindingKind.log_signature, FindingKind.error_rate, FindingKind.cold_start}
    ),
    FindingKind.runtime_error: frozenset(
        {FindingKind.log_signature, FindingKind.error_rate, FindingKind.cold_start}
    ),
    FindingKind.log_signature: frozenset({FindingKind.error_rate, FindingKind.cold_start}),
    FindingKind.error_rate: frozenset({FindingKind.cold_start}),
}
#: Order in which causes get to absorb (the most explanatory first).
_LEAD_ORDER = (
    FindingKind.out_of_memory,
    FindingKind.throttling,
    FindingKind.dependency_failure,
    FindingKind.runtime_error,
    FindingKind.lambda_timeout,
    FindingKind.log_signature,
    FindingKind.error_rate,
)


def _absorb(target: Draft, source: Draft, boost: float) -> None:
    target.refs.extend(source.refs)
    target.supporting.append(source.shown)
    target.confidence = clamp(target.confidence + boost, 0.0, MAX_CONFIDENCE)


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
                lead.supporting.append(other.shown)
                lead.count = (lead.count or 0) + (other.count or 0)
                _widen(lead, other)
                absorbed.add(id(other))
    return [d for d in drafts if id(d) not in absorbed]


def _widen(target: Draft, source: Draft) -> None:
    firsts = [t for t in (target.first_seen, source.first_seen) if t is not None]
    lasts = [t for t in (target.last_seen, source.last_seen) if t is not None]
    target.first_seen = min(firsts) if firsts else None
    target.last_seen = max(lasts) if lasts else None
    if SEVERITY_RANK[source.severity.value] > SEVERITY_RANK[target.severity.value]:
        target.severity = source.severity


def _overlap(a: Draft, b: Draft) -> bool:
    if None in (a.first_seen, a.last_seen, b.first_seen, b.last_seen):
        return True
    return a.first_seen - SLACK <= b.last_seen and b.first_seen - SLACK <= a.last_seen  # type: ignore[operator]


def _merge_same_resource(drafts: list[Draft], kinds: dict[int, set[FindingKind]]) -> list[Draft]:
    """On one resource, a cause absorbs the findings it explains when they overlap in time.

    A metric anomaly on a resource is explained by any other kind of finding on it (it measures
    the same problem); metric findings are judged over the whole window, so time is not compared.
    """
    by_resource: dict[str, list[Draft]] = {}
    for draft in drafts:
        if draft.kind != FindingKind.stepfn_failure:
            by_resource.setdefault(draft.resource, []).append(draft)
    absorbed: set[int] = set()
    for resource in sorted(by_resource):
        group = by_resource[resource]
        if len(group) < 2:
            continue
        leads = sorted(
            (d for d in group if d.kind in _LEAD_ORDER),
            key=lambda d: (_LEAD_ORDER.index(d.kind), -d.confidence, d.title),
        )
        for lead in leads:
            if id(lead) in absorbed:
                continue
            explained = EXPLAINS.get(lead.kind, frozenset()) | {FindingKind.metric_anomaly}
            for other in sorted(group, key=lambda d: (-d.confidence, d.title)):
                if (
                    other is lead
                    or id(other) in absorbed
                    or other.kind not in explained
                    or (not from_metrics(other) and not from_metrics(lead) and not _overlap(lead, other))
                ):
                    continue
                lead.refs.extend(other.refs)
                lead.supporting.append(other.shown)
                lead.confidence = clamp(max(lead.confidence, other.confidence) + 0.03, 0.0, MAX_CONFIDENCE)
                _widen(lead, other)
                kinds.setdefault(id(lead), {lead.kind}).update(kinds.get(id(other), {other.kind}))
                absorbed.add(id(other))
    return [d for d in drafts if id(d) not in absorbed]


def _merge_metrics_and_stepfn(drafts: list[Draft]) -> list[Draft]:
    """Metric anomalies join the log finding they explain; a Step Functions failure absorbs its task's Lambda."""
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
            and (c.subject == metric.subject or metric.subject in names_of(c))
            and id(c) not in merged
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
            # the task's function failing on its own (a crash, a timeout, out of memory) is the
            # workflow's cause, linked across (dependency_graph's task edge); its logged errors are not
            if (
                id(cause) not in merged
                and cause.subject == sfn.subject
                and cause is not sfn
                and cause.kind not in OWN_FAILURE_KINDS
            ):
                _absorb(sfn, cause, 0.03)
                merged.add(id(cause))
    return [d for d in drafts if id(d) not in merged]


def _dimension_values(draft: Draft, handles: EvidenceHandles | None) -> frozenset[str]:
    """The dimension values of the metric a metric finding is about (ARNs reduced to their name)."""
    if handles is None or handles.metrics is None or not from_metrics(draft):
        return frozenset()
    specs = {spec.id: spec for spec in handles.metrics.specs}
    values: set[str] = set()
    for ref in draft.refs:
        parts = ref.pointer.split("/")
        if len(parts) == 3 and parts[1] == "series" and parts[2].isdigit():
            index = int(parts[2])
            if index < len(handles.metrics.series) and (spec := specs.get(handles.metrics.series[index].id)):
                values |= {v.rsplit(":", 1)[-1] for v in spec.dimensions.values()}
    return frozenset(values)


def _merge_metric_qualifiers(drafts: list[Draft], handles: EvidenceHandles | None) -> list[Draft]:
    """A metric finding on a resource narrowed by a further dimension (DynamoDB ThrottledRequests by
    TableName *and* Operation) joins the same kind of finding on the resource itself (by TableName).
    Only when it is about that resource (the same subject): a caller's metric of its calls to a
    dependency (``CarrierErrors`` by ``Carrier`` and ``service``) is about the dependency, which the
    dependency graph links to the caller instead."""
    dims = {id(d): _dimension_values(d, handles) for d in drafts}
    absorbed: set[int] = set()
    for narrow in sorted(drafts, key=lambda d: (-len(dims[id(d)]), d.resource, d.title)):
        broad = [
            d
            for d in drafts
            if d is not narrow
            and d.kind == narrow.kind
            and id(d) not in absorbed
            and dims[id(d)]
            and dims[id(d)] < dims[id(narrow)]
            and d.subject == narrow.subject
        ]
        if broad and id(narrow) not in absorbed:
            lead = min(broad, key=lambda d: (len(dims[id(d)]), -d.confidence, d.resource, d.title))
            lead.refs.extend(narrow.refs)
            lead.supporting.append(narrow.shown)
            lead.confidence = clamp(max(lead.confidence, narrow.confidence), 0.0, MAX_CONFIDENCE)
            _widen(lead, narrow)
            absorbed.add(id(narrow))
    return [d for d in drafts if id(d) not in absorbed]


def correlate(drafts: list[Draft], handles: EvidenceHandles | None = None) -> list[Draft]:
    """Merge duplicates and same-resource findings into causal findings, then order causes over symptoms."""
    kinds: dict[int, set[FindingKind]] = {}
    drafts = _merge_metric_qualifiers(drafts, handles)
    drafts = _merge_duplicates(drafts)
    drafts = _merge_same_resource(drafts, kinds)
    drafts = _merge_metrics_and_stepfn(drafts)
    explain_across(drafts, handles, kinds)
    return drafts


def rank(drafts: list[Draft]) -> list[Draft]:
    """Most likely root cause first: confidence, then severity, kind, resource, title (all deterministic)."""
    return sorted(drafts, key=rank_key)
