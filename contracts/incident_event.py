"""Intake contract: ``IncidentEventV1``, the request that starts an incident run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from contracts.base import Name, Severity, StrictModel, TimeWindow
from contracts.ids import INCIDENT_ID_PATTERN, derive_incident_id, derive_run_id
from contracts.limits import (
    DIMENSION_NAME_MAX,
    DIMENSION_VALUE_MAX,
    EARLIEST_WINDOW_START,
    LOG_GROUP_NAME_MAX,
    METRIC_NAMESPACE_MAX,
    MetricNameText,
)

MAX_WINDOW = timedelta(days=7)
#: How far in the future a window may end (client clock skew).
FUTURE_SKEW = timedelta(minutes=5)

LogGroupName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=rf"^[.\-_/#A-Za-z0-9]{{1,{LOG_GROUP_NAME_MAX}}}$")
]
LambdaRef = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=r"^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$",
    ),
]
StateMachineRef = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=r"^(arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:)?[A-Za-z0-9_-]{1,80}$",
    ),
]
ResourceRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
DimensionKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=DIMENSION_NAME_MAX)
]
DimensionValue = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=DIMENSION_VALUE_MAX)
]
STAT_PATTERN = r"^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts)\d{1,2}(\.\d{1,2})?|p100)$"


class MetricQuery(StrictModel):
    """One explicit GetMetricData-style query from the caller."""

    namespace: Annotated[
        str, StringConstraints(min_length=1, max_length=METRIC_NAMESPACE_MAX, pattern=r"^[^:].*$")
    ]
    metric: MetricNameText
    dimensions: dict[DimensionKey, DimensionValue] = Field(default_factory=dict, max_length=30)
    stat: Annotated[str, StringConstraints(pattern=STAT_PATTERN)] = "Average"


class IncidentHints(StrictModel):
    """Where to look. At least one hint must be given."""

    log_groups: list[LogGroupName] = Field(default_factory=list, max_length=200)
    lambda_functions: list[LambdaRef] = Field(default_factory=list, max_length=50)
    state_machines: list[StateMachineRef] = Field(default_factory=list, max_length=20)
    metrics: list[MetricQuery] = Field(default_factory=list, max_length=100)
    resources: list[ResourceRef] = Field(
        default_factory=list,
        max_length=50,
        description="Resource ids or ARNs. The ARN of a DynamoDB table, RDS instance/cluster, SQS queue, ECS "
        "service, Application Load Balancer, HTTP API or Kinesis stream also fetches its own CloudWatch metrics.",
    )

    @model_validator(mode="after")
    def _at_least_one(self) -> IncidentHints:
        if not any(
            (self.log_groups, self.lambda_functions, self.state_machines, self.metrics, self.resources)
        ):
            raise ValueError(
                "at least one hint is required (log_groups, lambda_functions, state_machines, metrics, resources)"
            )
        return self

    @field_validator("log_groups", "lambda_functions", "state_machines", "resources")
    @classmethod
    def _dedupe(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class IncidentEventV1(StrictModel):
    """An incident request as submitted by a caller (API, CLI, alarm bridge)."""

    schema_version: Literal["incident_event.v1"] = "incident_event.v1"
    event_id: Annotated[str, StringConstraints(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]
    incident_id: Annotated[str, StringConstraints(pattern=rf"^{INCIDENT_ID_PATTERN}$")] | None = None
    source: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "api"
    service: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._/-]+$")]
    environment: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
    severity: Severity = Severity.warning
    title: Annotated[str, StringConstraints(max_length=256)] | None = None
    time_window: TimeWindow
    hints: IncidentHints
    labels: dict[Name, Annotated[str, StringConstraints(max_length=256)]] = Field(
        default_factory=dict, max_length=20
    )

    @field_validator("time_window")
    @classmethod
    def _bounded_window(cls, window: TimeWindow) -> TimeWindow:
        if window.start < EARLIEST_WINDOW_START:
            raise ValueError(f"time_window.start is before {EARLIEST_WINDOW_START.date().isoformat()}")
        if window.end - window.start > MAX_WINDOW:
            raise ValueError("time_window is longer than 7 days")
        if window.end > datetime.now(UTC) + FUTURE_SKEW:
            raise ValueError("time_window.end is in the future")
        return window

    @property
    def resolved_incident_id(self) -> str:
        return self.incident_id or derive_incident_id(self.event_id)

    @property
    def run_id(self) -> str:
        return derive_run_id(self.event_id)
