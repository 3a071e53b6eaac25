"""Across resources: which finding explains which, so that causes rank above their symptoms.

The edges come from the dependency graph (``dependency_graph``): a caller's symptom is explained
by its callee's condition when the evidence shows the call (a name, an ARN, a task, the callee's
service quoted in its errors, a deeper throttling layer, a caller waiting on a failure). When A
and B explain each other, the one that started first is the cause. The causes at the end of each
chain are raised above everything they explain (and cite the row that links them); every
explained finding is placed below its causes and says what explains it. Both ends of every
direct edge record the link (``caused_by`` / ``explains``) with the evidence of each side.
"""

from __future__ import annotations

from contracts.base import Severity
from contracts.packet import EvidenceRef, FindingKind
from opsrunbook_dagster.analysis.dependency_graph import (
    ACTIONABLE,
    EXPLICIT,
    SLACK,
    Edge,
    build_edges,
    from_metrics,
    names_of,
)
from opsrunbook_dagster.analysis.model import Draft, DraftLink, EvidenceHandles
from opsrunbook_dagster.analysis.stats import clamp

__all__ = ["ACTIONABLE", "SLACK", "explain_across", "from_metrics", "names_of", "rank_key"]

KIND_ORDER = {kind: i for i, kind in enumerate(FindingKind)}
SEVERITY_RANK = {"critical": 2, "warning": 1, "info": 0}
MAX_CONFIDENCE = 0.97
#: How many of the callee's own refs a link cites (its first: the series or rows it rests on).
CAUSE_REFS = 2


def explain_across(
    drafts: list[Draft], handles: EvidenceHandles | None, kinds: dict[int, set[FindingKind]]
) -> None:
    """Rank the causes at the end of each explanation chain above the findings they explain."""
    edges: dict[int, dict[int, Edge]] = {}  # symptom -> cause -> edge (indices into drafts)
    for edge in build_edges(drafts, handles, kinds):
        edges.setdefault(edge.symptom, {}).setdefault(edge.cause, edge)
    # Mutual explanations: the one that started first is the cause; a tie explains nothing.
    for a, causes in list(edges.items()):
        for b in list(causes):
            if a in edges.get(b, {}):
                first_a, first_b = drafts[a].first_seen, drafts[b].first_seen
                if first_a and first_b and first_b < first_a:
                    del edges[b][a]
                elif first_a and first_b and first_a < first_b:
                    del edges[a][b]
                else:
                    del edges[a][b]
                    del edges[b][a]
    edges = {a: c for a, c in edges.items() if c}
    if edges:
        own_refs = {i: list(d.refs) for i, d in enumerate(drafts)}
        _reorder(drafts, edges, own_refs)


def _reorder(
    drafts: list[Draft], edges: dict[int, dict[int, Edge]], own_refs: dict[int, list[EvidenceRef]]
) -> None:
    """Raise each root cause above everything it explains; place each symptom below its causes."""
    nodes = sorted({n for a, causes in edges.items() for n in (a, *causes)})
    # Depth of each finding below its root causes (longest path; cycles are cut by the bound).
    depth: dict[int, int] = {}
    for _ in range(len(nodes) + 1):
        changed = False
        for node in nodes:
            d = min(1 + max((depth.get(c, 0) for c in edges.get(node, {})), default=-1), len(nodes))
            if depth.get(node) != d:
                depth[node], changed = d, True
        if not changed:
            break
    explains: dict[int, set[int]] = {}  # cause -> every finding it explains, directly or not
    for start in edges:
        stack, seen = [start], set()
        while stack:
            for up in edges.get(stack.pop(), {}):
                if up not in seen:
                    seen.add(up)
                    explains.setdefault(up, set()).add(start)
                    stack.append(up)
    for node in sorted(nodes, key=lambda n: (depth[n], rank_key(drafts[n]))):
        draft = drafts[node]
        if depth[node] == 0 and node in explains:
            top = max(drafts[s].confidence for s in explains[node])
            draft.confidence = clamp(max(draft.confidence, top + 0.01), 0.0, MAX_CONFIDENCE)
            for down in sorted(explains[node], key=lambda s: rank_key(drafts[s])):
                if node in edges.get(down, {}):
                    _link(drafts, edges[down][node], own_refs)
            _adopt_symptom_kind(draft)
        elif depth[node] > 0:
            causes = edges[node]
            floor = min(drafts[c].confidence for c in causes)
            draft.confidence = clamp(min(draft.confidence, floor - 0.02), 0.0, MAX_CONFIDENCE)
            for up in sorted(causes, key=lambda c: rank_key(drafts[c])):
                draft.summary += f" Likely a consequence of {drafts[up].shown} ({causes[up].why})."
                if depth[up] > 0:
                    _link(drafts, causes[up], own_refs)


def _link(drafts: list[Draft], edge: Edge, own_refs: dict[int, list[EvidenceRef]]) -> None:
    """The cause cites the symptom (and the very row or execution that shows the call); both ends
    record the link with the evidence of each side."""
    cause, symptom = drafts[edge.cause], drafts[edge.symptom]
    cause.supporting.append(f"explains {symptom.shown} ({edge.why})")
    shown = edge.via or (symptom.refs[0] if symptom.refs else None)
    if shown is not None:
        cause.refs.append(shown)
    symptom_refs = [r for r in (edge.via, *own_refs[edge.symptom][:1]) if r is not None]
    link = DraftLink(
        reason=edge.why,
        basis=edge.basis,
        symptom_refs=list({(r.collector, r.pointer): r for r in symptom_refs}.values()),
        cause_refs=own_refs[edge.cause][:CAUSE_REFS],
    )
    cause.explains.append((symptom, link))
    symptom.caused_by.append((cause, link))
    if SEVERITY_RANK[symptom.severity.value] > SEVERITY_RANK[cause.severity.value]:
        cause.severity = Severity(symptom.severity.value)


def _adopt_symptom_kind(cause: Draft) -> None:
    """A callee's metric anomaly or new log signature (kinds that name no failure) that explains its
    callers' errors is the failure they report: it throttles them, or it is the dependency failing them."""
    if cause.kind not in (FindingKind.metric_anomaly, FindingKind.log_signature):
        return
    shown = [symptom.kind for symptom, link in cause.explains if link.basis in EXPLICIT]
    if not shown:
        return
    cause.kind = FindingKind.throttling if FindingKind.throttling in shown else FindingKind.dependency_failure


def rank_key(d: Draft) -> tuple[object, ...]:
    return (
        -round(d.confidence, 3),
        -SEVERITY_RANK[d.severity.value],
        KIND_ORDER[d.kind],
        d.resource,
        d.title,
    )
