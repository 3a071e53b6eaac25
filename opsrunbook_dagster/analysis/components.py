"""What a finding's component is: the names it goes by in other components' logs, the AWS service
it belongs to and its layer (edge, compute, data), and whether the finding shows a condition of
its own (a failure, or a metric going the bad way). Pure lookups over drafts."""

from __future__ import annotations

import re
from collections.abc import Iterable

from contracts.packet import FindingKind
from opsrunbook_dagster.analysis.metric_semantics import direction_of
from opsrunbook_dagster.analysis.model import Draft
from opsrunbook_dagster.analysis.service_calls import service_of_log_group, service_of_namespace

#: Metrics whose bad direction shows a component's own distress beyond ``direction_of``'s list.
_SATURATION_UP = (
    "CPUUtilization",
    "DatabaseConnections",
    "MemoryUtilization",
    "ReadLatency",
    "WriteLatency",
    "DiskQueueDepth",
    "SwapUsage",
    "TargetResponseTime",
    "HTTPCode_Target_5XX_Count",
    "5XXError",
    "ConsumedWriteCapacityUnits",
    "ConsumedReadCapacityUnits",
)
_SATURATION_DOWN = (
    "FreeableMemory",
    "FreeStorageSpace",
    "FreeLocalStorage",
    "BurstBalance",
    "CPUCreditBalance",
)
#: A name must be this long to count as a mention (shorter ones are stage names, versions, words).
MIN_NAME_CHARS = 5
_OPERATION = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+$")
_GENERIC_NAMES = frozenset(
    {"latest", "default", "prod", "production", "staging", "lambda", "errors"}
    # the log names of a database's log groups (/aws/rds/instance/<id>/<log>)
    | {"error", "postgresql", "slowquery", "general", "audit", "upgrade", "agent", "iam-db-auth-error"}
)
#: Log groups named after a component that is not their last part: the database of an RDS log group.
_COMPONENT_IN_LOG_GROUP = re.compile(r"^/aws/rds/(?:instance|cluster)/([^/]+)/")
EDGE, COMPUTE, DATA = 0, 1, 2
_LAYERS = {
    **dict.fromkeys(("apigateway", "elb", "appsync", "cloudfront"), EDGE),
    **dict.fromkeys(("lambda", "states", "ecs", "ec2"), COMPUTE),
    **dict.fromkeys(
        ("dynamodb", "kinesis", "sqs", "sns", "s3", "rds", "elasticache", "firehose", "events"), DATA
    ),
}


def from_metrics(draft: Draft) -> bool:
    return bool(draft.refs) and all(r.collector == "metrics" for r in draft.refs)


def from_logs(draft: Draft) -> bool:
    return bool(draft.refs) and draft.refs[0].collector == "logs"


def names_of(draft: Draft) -> set[str]:
    """The names a finding's resource goes by in other components' logs (function, table, proxy, ...).

    A database's log group goes by the database's identifier (``/aws/rds/instance/<id>/error``).
    A bare CamelCase word (``PutItem``, ``GetRecords``) is an API operation - a metric dimension
    such as DynamoDB's ``Operation`` - not a resource name, and is left out. A workflow goes by
    its state machine's name, not by the function its failing task invokes.
    """
    if draft.resource.startswith("AWS/"):
        return set()  # a metric without dimensions: a namespace, not a resource
    raws = (draft.resource,) if draft.kind == FindingKind.stepfn_failure else (draft.subject, draft.resource)
    names = set()
    inside = _COMPONENT_IN_LOG_GROUP.match(draft.resource)
    for raw in raws:
        for name in (raw, re.split(r"[/:]", raw.rstrip("/"))[-1], inside.group(1) if inside else ""):
            if (
                len(name) >= MIN_NAME_CHARS
                and any(c.isalpha() for c in name)
                and name.lower() not in _GENERIC_NAMES
                and not _OPERATION.match(name)
            ):
                names.add(name)
    return names


def service_of(draft: Draft) -> str | None:
    if draft.kind == FindingKind.stepfn_failure:
        return "states"
    if from_metrics(draft):
        return service_of_namespace("/".join((draft.signature or "").split("/")[:2]))
    return service_of_log_group(draft.resource)


def mentions(text: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` that ``text`` contains as a whole token (hosts, ARNs and JSON values count)."""
    for name in sorted(names, key=lambda n: (-len(n), n)):
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text, flags=re.IGNORECASE):
            return name
    return None


def is_condition(draft: Draft) -> bool:
    """A failure of the component's own; for a metric anomaly, saturation or errors the bad way."""
    if draft.kind != FindingKind.metric_anomaly:
        return True
    name = draft.metric_name
    if not name or draft.metric is None or draft.metric.scale == "noisier":
        return False
    rising = draft.metric.value > draft.metric.baseline_median
    if name.startswith(_SATURATION_DOWN):
        return not rising
    return rising and (direction_of(name) == 1 or name.startswith(_SATURATION_UP))


def layer_of(service: str | None) -> int | None:
    return _LAYERS.get(service or "")


def component_of(draft: Draft, names: set[str]) -> str:
    """One key per component: a finding on a database's log group and one on its metrics share it."""
    inside = _COMPONENT_IN_LOG_GROUP.match(draft.resource)
    return inside.group(1) if inside and inside.group(1) in names else draft.subject
