"""Across resources: which finding explains which, so that causes rank above their symptoms.

Finding A (the symptom: a timeout, dependency failure, throttling, error signature or error rate)
is *explained by* finding B (the cause: any failure kind, never a bare metric anomaly) on another
resource when

* A's own incident-window evidence rows name B's resource (a host, function, table or proxy name
  as a whole token), or
* both are throttling and B sits on a deeper layer (edge -> compute -> data stores): throttling
  propagates up to the callers, never down, or
* A includes Lambda timeouts (a caller waiting) while B is a dependency failure - unless both
  merely time out on their own dependencies, which says nothing about their order.

B must be actionable and, when both come from logs, must not start more than ``SLACK`` after A.
When A and B explain each other, the one that started first is the cause. The causes at the end
of each chain are raised above everything they explain (and cite the row that links them); every
explained finding is placed below its causes and says what explains it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from contracts._base import Severity
from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.stats import clamp

KIND_ORDER = {kind: i for i, kind in enumerate(FindingKind)}
SEVERITY_RANK = {"critical": 2, "warning": 1, "info": 0}
ACTIONABLE = 0.5
MAX_CONFIDENCE = 0.97
#: Kinds that can be the upstream symptom of another component's failure (out-of-memory, crashes and
#: cold starts are a component's own). A bare metric anomaly may be a symptom but is never a cause:
#: a downstream metric often moves *because* its caller fails.
SYMPTOM_KINDS = frozenset(
    {
        FindingKind.lambda_timeout,
        FindingKind.dependency_failure,
        FindingKind.throttling,
        FindingKind.log_signature,
        FindingKind.error_rate,
        FindingKind.metric_anomaly,
    }
)
#: Two findings overlap in time when their spans, widened by this much, intersect; a cause may
#: start at most this much after its symptom (first occurrences of a cascade land close together).
SLACK = timedelta(minutes=5)
#: A name must be this long to count as a mention (shorter ones are stage names, versions, words).
MIN_NAME_CHARS = 5
_OPERATION = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+$")
_GENERIC_NAMES = frozenset({"latest", "default", "prod", "production", "staging", "lambda", "errors"})
#: Layers for throttling: an edge service, the compute behind it, the data stores it calls.
_EDGE, _COMPUTE, _DATA = 0, 1, 2
_NAMESPACE_LAYERS = {
    "AWS/ApiGateway": _EDGE,
    "AWS/ApplicationELB": _EDGE,
    "AWS/NetworkELB": _EDGE,
    "AWS/ELB": _EDGE,
    "AWS/CloudFront": _EDGE,
    "AWS/AppSync": _EDGE,
    "AWS/Lambda": _COMPUTE,
    "AWS/States": _COMPUTE,
    "AWS/ECS": _COMPUTE,
    "AWS/EC2": _COMPUTE,
    "AWS/DynamoDB": _DATA,
    "AWS/Kinesis": _DATA,
    "AWS/SQS": _DATA,
    "AWS/SNS": _DATA,
    "AWS/S3": _DATA,
    "AWS/RDS": _DATA,
    "AWS/ElastiCache": _DATA,
    "AWS/Firehose": _DATA,
    "AWS/Events": _DATA,
}
_LOG_GROUP_LAYERS = (
    ("API-Gateway-Execution-Logs", _EDGE),
    ("/aws/apigateway", _EDGE),
    ("/aws/appsync", _EDGE),
    ("/aws/lambda/", _COMPUTE),
    ("/aws/ecs/", _COMPUTE),
    ("/ecs/", _COMPUTE),
    ("/aws/states/", _COMPUTE),
    ("/aws/vendedlogs/states/", _COMPUTE),
    ("/aws/rds/", _DATA),
    ("/aws/elasticache/", _DATA),
)


def names_of(draft: Draft) -> set[str]:
    """The names a finding's resource goes by in other components' logs (function, table, proxy, ...).

    A bare CamelCase word (``PutItem``, ``GetRecords``) is an API operation - a metric dimension
    such as DynamoDB's ``Operation`` - not a resource name, and is left out.
    """
    if draft.resource.startswith("AWS/"):
        return set()  # a metric without dimensions: a namespace, not a resource
    names = set()
    for raw in (draft.subject, draft.resource):
        for name in (raw, re.split(r"[/:]", raw.rstrip("/"))[-1]):
            if (
                len(name) >= MIN_NAME_CHARS
                and any(c.isalpha() for c in name)
                and name.lower() not in _GENERIC_NAMES
                and not _OPERATION.match(name)
            ):
                names.add(name)
    return names


def _mentions(text: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` that ``text`` contains as a whole token (hosts, ARNs and JSON values count)."""
    for name in sorted(names, key=lambda n: (-len(n), n)):
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags=re.IGNORECASE):
            return name
    return None


def _layer(draft: Draft) -> int | None:
    if from_metrics(draft):
        namespace = "/".join((draft.signature or "").split("/")[:2])
        return _NAMESPACE_LAYERS.get(namespace)
    for prefix, layer in _LOG_GROUP_LAYERS:
        if prefix in draft.resource:
            return layer
    return None


def _incident_rows(draft: Draft, handles: EvidenceHandles | None) -> list[tuple[int, str]]:
    """(ref index, message) of the incident-window log rows a finding cites."""
    if handles is None or handles.logs is None:
        return []
    rows = handles.logs.rows
    out = []
    for i, ref in enumerate(draft.refs):
        if ref.collector != "logs" or not ref.pointer.startswith("/rows/"):
            continue
        index = int(ref.pointer.split("/")[2])
        if index < len(rows) and rows[index].window == "incident":
            out.append((i, rows[index].message))
    return out


def _starts_no_later(cause: Draft, symptom: Draft) -> bool:
    """A cause must not start after its symptom (only comparable between log findings: a metric
    finding's time is its most anomalous point, an execution's time is when it was started)."""
    if not (_from_logs(cause) and _from_logs(symptom)):
        return True
    if cause.first_seen is None or symptom.first_seen is None:
        return True
    return cause.first_seen <= symptom.first_seen + SLACK


def explain_across(
    drafts: list[Draft], handles: EvidenceHandles | None, kinds: dict[int, set[FindingKind]]
) -> None:
    """Rank the causes at the end of each explanation chain above the findings they explain."""
    actionable = [d for d in drafts if d.confidence > ACTIONABLE]
    edges: dict[int, dict[int, tuple[str, int | None]]] = {}  # symptom -> cause -> (why, ref index)
    by_id = {id(d): d for d in actionable}

    def add(symptom: Draft, cause: Draft, why: str, ref: int | None) -> None:
        edges.setdefault(id(symptom), {}).setdefault(id(cause), (why, ref))

    for symptom in actionable:
        if symptom.kind not in SYMPTOM_KINDS:
            continue
        rows = _incident_rows(symptom, handles)
        own = names_of(symptom)
        timed_out = FindingKind.lambda_timeout in kinds.get(id(symptom), {symptom.kind})
        for cause in actionable:
            if (
                cause is symptom
                or cause.kind == FindingKind.metric_anomaly
                or cause.resource == symptom.resource
                or cause.subject == symptom.subject
                or not _starts_no_later(cause, symptom)
            ):
                continue
            theirs = names_of(cause) - own
            hit = next(((i, n) for i, text in rows if (n := _mentions(text, theirs))), None)
            if hit:
                add(symptom, cause, f"its log lines name {hit[1]}", hit[0])
                continue
            layers = (_layer(symptom), _layer(cause))
            if (
                symptom.kind == cause.kind == FindingKind.throttling
                and None not in layers
                and layers[1] > layers[0]  # type: ignore[operator]
            ):
                add(symptom, cause, "throttling on a deeper layer propagates up to its callers", None)
                continue
            cause_waits = FindingKind.lambda_timeout in kinds.get(id(cause), {cause.kind})
            if (
                timed_out
                and cause.kind == FindingKind.dependency_failure
                and (symptom.kind == FindingKind.lambda_timeout or not cause_waits)
                and _from_logs(cause)
                and _from_logs(symptom)
            ):
                add(symptom, cause, "it times out while another component's dependency fails", None)
    # Mutual explanations: the one that started first is the cause; a tie explains nothing.
    for a, causes in list(edges.items()):
        for b in list(causes):
            if a in edges.get(b, {}):
                first_a, first_b = by_id[a].first_seen, by_id[b].first_seen
                if first_a and first_b and first_b < first_a:
                    del edges[b][a]
                elif first_a and first_b and first_a < first_b:
                    del edges[a][b]
                else:
                    del edges[a][b]
                    del edges[b][a]
    edges = {a: c for a, c in edges.items() if c}
    if not edges:
        return
    _reorder(edges, by_id)


def _reorder(edges: dict[int, dict[int, tuple[str, int | None]]], by_id: dict[int, Draft]) -> None:
    """Raise each root cause above everything it explains; place each symptom below its causes."""
    # Depth of each finding below its root causes (longest path; cycles are cut by the bound).
    depth: dict[int, int] = {}
    for _ in range(len(by_id) + 1):
        changed = False
        for node in by_id:
            d = min(1 + max((depth.get(c, 0) for c in edges.get(node, {})), default=-1), len(by_id))
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
    for node in sorted(by_id, key=lambda n: (depth[n], rank_key(by_id[n]))):
        draft = by_id[node]
        if depth[node] == 0 and node in explains:
            top = max(by_id[s].confidence for s in explains[node])
            draft.confidence = clamp(max(draft.confidence, top + 0.01), 0.0, MAX_CONFIDENCE)
            for down in sorted(explains[node], key=lambda s: rank_key(by_id[s])):
                if node in edges.get(down, {}):
                    _link(draft, by_id[down], edges[down][node])
        elif depth[node] > 0:
            causes = edges[node]
            floor = min(by_id[c].confidence for c in causes)
            draft.confidence = clamp(min(draft.confidence, floor - 0.02), 0.0, MAX_CONFIDENCE)
            for up in sorted(causes, key=lambda c: rank_key(by_id[c])):
                draft.summary += f" Likely a consequence of {by_id[up].shown} ({causes[up][0]})."
                if depth[up] > 0:
                    _link(by_id[up], draft, causes[up])


def _link(cause: Draft, symptom: Draft, edge: tuple[str, int | None]) -> None:
    """The cause cites the symptom (and, for a mention, the very row that names it)."""
    why, ref = edge
    cause.supporting.append(f"explains {symptom.shown} ({why})")
    if ref is not None:
        cause.refs.append(symptom.refs[ref])
    elif symptom.refs:
        cause.refs.append(symptom.refs[0])
    if SEVERITY_RANK[symptom.severity.value] > SEVERITY_RANK[cause.severity.value]:
        cause.severity = Severity(symptom.severity.value)


def rank_key(d: Draft) -> tuple[object, ...]:
    return (
        -round(d.confidence, 3),
        -SEVERITY_RANK[d.severity.value],
        KIND_ORDER[d.kind],
        d.resource,
        d.title,
    )


def from_metrics(draft: Draft) -> bool:
    return bool(draft.refs) and all(r.collector == "metrics" for r in draft.refs)


def _from_logs(draft: Draft) -> bool:
    return bool(draft.refs) and draft.refs[0].collector == "logs"
