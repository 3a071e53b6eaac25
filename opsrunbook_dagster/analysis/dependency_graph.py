"""A small dependency graph read from the evidence itself: which finding's component calls which.

Nodes are the findings that remain after merging (one per component and problem). An edge runs
from a caller's *symptom* to a callee's *condition* when the evidence shows the call:

* ``named`` / ``arn`` - the caller's incident-window rows name the callee (a function, table, proxy
  or host name as a whole token; an ARN or an AWS host name);
* ``task`` - a failing Step Functions state's task invokes the callee Lambda function;
* ``service`` - the caller quotes an error that only one kind of service returns
  (``TooManyRequestsException`` from Lambda's Invoke, ``ProvisionedThroughputExceededException``
  from DynamoDB, a PostgreSQL/JDBC error from a database) and exactly one component of that
  service shows a condition of its own (two or more: the call is ambiguous, no edge);
* ``layer`` - both throttle and the callee sits on a deeper layer (edge -> compute -> data):
  throttling propagates up to the callers, never down; or an edge service (API Gateway, a load
  balancer) fails and exactly one compute component behind it fails on its own;
* ``waits`` - the caller times out while another component fails with a dependency failure
  (unless both merely time out on their own dependencies).

A callee's condition must be actionable, must not start after its symptom (log findings; a
metric's anomalous span), and is a failure of its own: any failure kind, or a metric anomaly that
shows saturation or errors going the bad way (``ConcurrentExecutions``, ``CPUUtilization``,
``DatabaseConnections``, ``Errors`` up; free memory down) - the latter only through an explicit
edge (named, arn, task, service), since a callee's metric also moves *because* its caller fails.
A callee without such a condition is healthy, and a healthy callee gets no edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from contracts.packet import EvidenceRef, FindingKind
from opsrunbook_dagster.analysis.components import (
    COMPUTE,
    EDGE,
    component_of,
    from_logs,
    from_metrics,
    is_condition,
    layer_of,
    mentions,
    names_of,
    service_of,
)
from opsrunbook_dagster.analysis.model import Draft, EvidenceHandles
from opsrunbook_dagster.analysis.service_calls import named_in, services_quoted
from opsrunbook_dagster.analysis.stepfn_findings import task_function

__all__ = ["SLACK", "Edge", "build_edges", "from_metrics", "names_of"]

ACTIONABLE = 0.5
#: Kinds that can be a caller's symptom of another component's condition.
SYMPTOM_KINDS = frozenset(
    {
        FindingKind.lambda_timeout,
        FindingKind.dependency_failure,
        FindingKind.throttling,
        FindingKind.log_signature,
        FindingKind.error_rate,
        FindingKind.metric_anomaly,
        FindingKind.stepfn_failure,
    }
)
#: A component's own failures: what a failing task's function must show to be the workflow's cause.
OWN_FAILURE_KINDS = frozenset(
    {
        FindingKind.runtime_error,
        FindingKind.out_of_memory,
        FindingKind.lambda_timeout,
        FindingKind.throttling,
        FindingKind.dependency_failure,
    }
)
EXPLICIT = frozenset({"named", "arn", "task", "service"})
#: Two findings overlap in time when their spans, widened by this much, intersect; a cause may
#: start at most this much after its symptom (first occurrences of a cascade land close together).
SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Edge:
    """``symptom`` (a caller's finding) is explained by ``cause`` (its callee's condition)."""

    symptom: int  # index into the drafts
    cause: int
    basis: str
    why: str
    #: The caller-side evidence that shows the call (the row naming the callee, the execution).
    via: EvidenceRef | None = None


def _texts(draft: Draft, handles: EvidenceHandles | None) -> list[tuple[EvidenceRef, str, str | None]]:
    """(ref, text, task function) of the incident-window rows and executions a finding cites."""
    out: list[tuple[EvidenceRef, str, str | None]] = []
    logs = handles.logs if handles else None
    stepfn = handles.stepfn if handles else None
    for ref in draft.refs:
        parts = ref.pointer.split("/")
        if len(parts) != 3 or not parts[2].isdigit():
            continue
        index = int(parts[2])
        if ref.collector == "logs" and parts[1] == "rows" and logs and index < len(logs.rows):
            if logs.rows[index].window == "incident":
                out.append((ref, logs.rows[index].message, None))
        elif (
            ref.collector == "stepfn"
            and parts[1] == "executions"
            and stepfn
            and index < len(stepfn.executions)
        ):
            run = stepfn.executions[index]
            text = " ".join(t for t in (run.error, run.cause, run.task_resource) if t)
            out.append((ref, text, task_function(run.task_resource)))
    return out


def _starts_no_later(cause: Draft, symptom: Draft) -> bool:
    """A cause must not start after its symptom: log findings by first occurrence, a metric finding
    by its anomalous span (an execution's time is when it was started, not comparable)."""
    if symptom.first_seen is None:
        return True
    if cause.metric is not None:
        return cause.metric.anomaly_start <= (symptom.last_seen or symptom.first_seen) + SLACK
    if not (from_logs(cause) and from_logs(symptom)) or cause.first_seen is None:
        return True
    return cause.first_seen <= symptom.first_seen + SLACK


def build_edges(
    drafts: list[Draft], handles: EvidenceHandles | None, kinds: dict[int, set[FindingKind]]
) -> list[Edge]:
    """Every edge the evidence shows between actionable findings (at most one per pair)."""
    actionable = [i for i, d in enumerate(drafts) if d.confidence > ACTIONABLE]
    names = {i: names_of(drafts[i]) for i in actionable}
    services = {i: service_of(drafts[i]) for i in actionable}
    edges: list[Edge] = []
    for s in actionable:
        symptom = drafts[s]
        if symptom.kind not in SYMPTOM_KINDS:
            continue
        texts = _texts(symptom, handles)
        quoted = {svc for _, text, _ in texts for svc in services_quoted(text)}
        causes = [
            c
            for c in actionable
            if c != s
            and drafts[c].resource != symptom.resource
            and not (names[c] & names[s])
            and (drafts[c].subject != symptom.subject or symptom.kind == FindingKind.stepfn_failure)
            and is_condition(drafts[c])
            and _starts_no_later(drafts[c], symptom)
        ]
        by_service = [c for c in causes if services[c] in quoted]
        # an edge service (API Gateway, a load balancer) fails with what the compute behind it fails with
        beneath = [
            c
            for c in causes
            if layer_of(services[s]) == EDGE
            and is_condition(symptom)
            and layer_of(services[c]) == COMPUTE
            and drafts[c].kind in OWN_FAILURE_KINDS
        ]
        for c in causes:
            edge = _edge(drafts, (s, c), texts, names[c] - names[s])
            if edge is None and c in by_service and _one_component(drafts, by_service):
                why = f"it quotes {services[c]} errors and only {drafts[c].shown} shows one"
                edge = Edge(s, c, "service", why)
            if edge is None and c in beneath and _one_component(drafts, beneath):
                why = f"an edge service fails with the one failing component behind it, {drafts[c].subject}"
                edge = Edge(s, c, "layer", why)
            # a metric anomaly is a cause only through an explicit edge: none is inferred for it
            edge = edge or _inferred(drafts, (s, c), services, kinds)
            if edge is not None:
                edges.append(edge)
    return edges


def _one_component(drafts: list[Draft], candidates: list[int]) -> bool:
    return len({component_of(drafts[c], names_of(drafts[c])) for c in candidates}) == 1


def _edge(
    drafts: list[Draft],
    pair: tuple[int, int],
    texts: list[tuple[EvidenceRef, str, str | None]],
    theirs: set[str],
) -> Edge | None:
    """An edge the caller's own rows or executions show: a name, an ARN or host, a task."""
    s, c = pair
    cause = drafts[c]
    lowered = {n.lower() for n in theirs}
    for ref, text, function in texts:
        if function and function.lower() in lowered | {cause.subject.lower()}:
            if cause.kind in OWN_FAILURE_KINDS or cause.kind == FindingKind.metric_anomaly:
                return Edge(s, c, "task", f"its failing task invokes {function}", ref)
            continue
        arn = next((n.name for n in named_in(text) if n.name.lower() in lowered), None)
        if arn:
            return Edge(s, c, "arn", f"its log lines carry an ARN or host of {arn}", ref)
        if name := mentions(text, theirs):
            return Edge(s, c, "named", f"its log lines name {name}", ref)
    return None


def _inferred(
    drafts: list[Draft],
    pair: tuple[int, int],
    services: dict[int, str | None],
    kinds: dict[int, set[FindingKind]],
) -> Edge | None:
    """Edges inferred without a name: throttling on a deeper layer; a caller waiting on a failure."""
    s, c = pair
    symptom, cause = drafts[s], drafts[c]
    layers = (layer_of(services[s]), layer_of(services[c]))
    if (
        symptom.kind == cause.kind == FindingKind.throttling
        and layers[0] is not None
        and layers[1] is not None
    ):
        if layers[1] > layers[0]:
            return Edge(s, c, "layer", "throttling on a deeper layer propagates up to its callers")
        return None
    timed_out = FindingKind.lambda_timeout in kinds.get(id(symptom), {symptom.kind})
    cause_waits = FindingKind.lambda_timeout in kinds.get(id(cause), {cause.kind})
    if (
        timed_out
        and cause.kind == FindingKind.dependency_failure
        and (symptom.kind == FindingKind.lambda_timeout or not cause_waits)
        and from_logs(cause)
        and from_logs(symptom)
    ):
        return Edge(s, c, "waits", "it times out while another component's dependency fails")
    return None
