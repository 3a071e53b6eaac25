"""Which metrics to fetch for an incident: derived from Lambda/Step Functions hints plus explicit queries."""

from __future__ import annotations

import re
from collections.abc import Sequence

from contracts.evidence import MetricSpec
from opsrunbook_dagster.collectors.logs import lambda_name
from opsrunbook_dagster.collectors.resource_metrics import metrics_for_resource

LAMBDA_METRICS: tuple[tuple[str, str], ...] = (
    ("Errors", "Sum"),
    ("Throttles", "Sum"),
    ("Invocations", "Sum"),
    ("Duration", "Average"),
    ("Duration", "Maximum"),
    ("Duration", "p99"),
    ("ConcurrentExecutions", "Maximum"),
)
STEPFN_METRICS: tuple[tuple[str, str], ...] = (
    ("ExecutionsFailed", "Sum"),
    ("ExecutionsTimedOut", "Sum"),
    ("ExecutionThrottled", "Sum"),
)
STANDARD_STATS = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum"})


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "x"


def _spec(
    index: int, namespace: str, metric: str, dims: dict[str, str], stat: str, period: int, origin: str
) -> MetricSpec:
    resource = next(iter(dims.values()), namespace).split(":")[-1]
    label = f"{namespace} {metric} {stat} {resource}"
    return MetricSpec(
        id=f"m{index:03d}_{_slug(metric)}_{_slug(stat)}",
        namespace=namespace,
        metric=metric,
        dimensions=dims,
        stat=stat,
        period=period,
        label=label,
        origin=origin,  # type: ignore[arg-type]
    )


def derive_specs(
    lambda_functions: list[str],
    state_machine_arns: list[str],
    explicit: list[tuple[str, str, dict[str, str], str]],
    period: int,
    resources: Sequence[str] = (),
) -> list[MetricSpec]:
    """Deterministic list of specs (ids are positional, so order is part of the contract)."""
    specs: list[MetricSpec] = []
    seen: set[tuple[str, str, tuple[tuple[str, str], ...], str]] = set()

    def add(namespace: str, metric: str, dims: dict[str, str], stat: str, origin: str) -> None:
        key = (namespace, metric, tuple(sorted(dims.items())), stat)
        if key not in seen:
            seen.add(key)
            specs.append(_spec(len(specs), namespace, metric, dims, stat, period, origin))

    for fn in lambda_functions:
        for metric, stat in LAMBDA_METRICS:
            add("AWS/Lambda", metric, {"FunctionName": lambda_name(fn)}, stat, "lambda")
    for arn in state_machine_arns:
        for metric, stat in STEPFN_METRICS:
            add("AWS/States", metric, {"StateMachineArn": arn}, stat, "stepfn")
    for namespace, metric, dims, stat in explicit:
        add(namespace, metric, dict(sorted(dims.items())), stat, "hint")
    for arn in resources:  # after the explicit ones: an existing spec's position never moves
        for m in metrics_for_resource(arn):
            add(m.namespace, m.metric, dict(sorted(m.dimensions.items())), m.stat, "hint")
    return specs


def is_standard(spec: MetricSpec) -> bool:
    return spec.stat in STANDARD_STATS
