"""Throttling that hurts nothing is back-pressure, not an incident.

A batch job that is throttled by design (a nightly reindex against a table's fixed capacity, a
consumer held to a reserved concurrency) retries and finishes: its throttle counters rise, its
queue fills, and nobody sees an error. Throttling is an incident through what it breaks. So when
the evidence holds no sign of impact anywhere (no failure finding of any kind; no error-level log
line, a caller's "ERROR Rate exceeded" being a failed request; no error, fault, 4XX/5XX, latency,
duration, timeout, dead-letter or message-age metric going up), every throttling finding, and the
backlog it builds (queue depth, concurrency), is kept but capped below the actionable confidence,
and says why. One impact anywhere in the evidence and nothing changes.

Judged on the drafts before correlation (a throttling finding later absorbs the errors on its own
resource, which are exactly the impact that counts). Pure and deterministic.
"""

from __future__ import annotations

import re

from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.model import Draft

#: finding kinds that are an impact by themselves
IMPACT_KINDS = frozenset(
    {
        FindingKind.runtime_error,
        FindingKind.dependency_failure,
        FindingKind.lambda_timeout,
        FindingKind.out_of_memory,
        FindingKind.error_rate,
        FindingKind.stepfn_failure,
    }
)
_IMPACT_METRIC = re.compile(
    r"(?i)error|fault|[45]xx|latency|duration|responsetime|timeout|deadletter|dlq|ageofoldest|failed|unhealthy"
)
#: how much work waits (not how long): what throttling builds up, no harm by itself
_BACKLOG_METRIC = re.compile(
    r"(?i)ApproximateNumberOfMessages|QueueDepth|Backlog|ConcurrentExecutions|InFlight"
)
#: health going down is an impact too
_HEALTH_METRIC = re.compile(r"(?i)healthy|success|availability")
_QUIET_LEVEL = re.compile(r"^(?:WARN|WARNING|INFO|NOTICE|DEBUG|TRACE)\b")
#: the confidence harmless throttling is held to: below the packet's actionable 0.5
CAP = 0.45


def has_impact(drafts: list[Draft]) -> bool:
    """True when any draft shows that something failed or slowed down."""
    for draft in drafts:
        if draft.kind in IMPACT_KINDS:
            return True
        logged = draft.kind in (FindingKind.log_signature, FindingKind.throttling) and draft.metric is None
        if logged and not _QUIET_LEVEL.match(draft.signature or ""):
            return True  # an error-level line: a request failed (a caller's "ERROR Rate exceeded" too)
        if draft.kind == FindingKind.metric_anomaly and draft.metric is not None:
            metric = draft.metric_name
            rising = draft.metric.value > draft.metric.baseline_median
            if rising and _IMPACT_METRIC.search(metric):
                return True
            if not rising and _HEALTH_METRIC.search(metric):
                return True
    return False


def hold_harmless_throttling(drafts: list[Draft], impact: bool) -> None:
    """Cap every throttling finding, and the backlog it builds (queue depth, concurrency), below
    actionable when nothing in the evidence was hurt."""
    if impact or not any(d.kind == FindingKind.throttling for d in drafts):
        return
    for draft in drafts:
        backlog = draft.kind == FindingKind.metric_anomaly and bool(_BACKLOG_METRIC.search(draft.metric_name))
        if (draft.kind == FindingKind.throttling or backlog) and draft.confidence > CAP:
            draft.confidence = CAP
            draft.summary += (
                " Nothing in the evidence failed or slowed down (no errors, timeouts, 4XX/5XX, latency"
                " or dead letters): the throttled work is being retried, which is back-pressure, not"
                " an outage."
            )
