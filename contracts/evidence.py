"""Evidence objects: what one collector asked, what came back, and how complete it is."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from contracts.base import LongText, Name, ShortText, StrictModel, TimeWindow, UtcDatetime
from contracts.limits import (
    DimensionNameText,
    DimensionValueText,
    LogGroupText,
    MetricLabelText,
    MetricNameText,
    NamespaceText,
)

Collector = Literal["logs", "metrics", "stepfn"]
COLLECTORS: tuple[Collector, ...] = ("logs", "metrics", "stepfn")
WindowName = Literal["incident", "baseline"]


class SourceStatus(StrEnum):
    complete = "complete"
    partial = "partial"
    failed = "failed"
    skipped = "skipped"


class SourceResult(StrictModel):
    """Outcome for one source (a log-group batch, a metric query, a state machine)."""

    source: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    status: SourceStatus
    error_code: Name | None = None
    error_message: ShortText | None = None


class Redaction(StrictModel):
    """Redaction ran over every stored string; ``hits`` counts replacements per rule."""

    ran: bool = True
    total_hits: int = 0
    hits: dict[Name, int] = Field(default_factory=dict)


class EvidenceBase(StrictModel):
    incident_id: Name
    run_id: Name
    window: TimeWindow
    baseline_window: TimeWindow | None = None
    collected_at: UtcDatetime | None = Field(
        default=None,
        description="Not written since 1.3: when collection ran is provenance, not evidence; it is kept in "
        "the object's S3 metadata (collected-at) so the same world always yields the same bytes.",
    )
    sources: list[SourceResult] = Field(default_factory=list)
    truncated: bool = False
    byte_size: int = 0
    redaction: Redaction = Field(default_factory=Redaction)
    limits: list[ShortText] = Field(default_factory=list)

    @property
    def status(self) -> SourceStatus:
        """Overall status: complete only if every source is complete (or skipped)."""
        statuses = {s.status for s in self.sources}
        if not statuses or statuses <= {SourceStatus.skipped}:
            return SourceStatus.skipped
        if statuses <= {SourceStatus.complete, SourceStatus.skipped}:
            return SourceStatus.complete
        if statuses == {SourceStatus.failed}:
            return SourceStatus.failed
        return SourceStatus.partial


# --- logs -----------------------------------------------------------------------------------


class LogQuery(StrictModel):
    query_id: Name | None = Field(
        default=None, description="Not written (random per query): see the object's S3 metadata (query-ids)."
    )
    window: WindowName
    log_groups: list[LogGroupText]
    query_string: LongText
    start: UtcDatetime
    end: UtcDatetime
    status: Name
    rows_returned: int = 0
    records_matched: float | None = None
    records_scanned: float | None = None
    bytes_scanned: float | None = None


class LogRow(StrictModel):
    window: WindowName
    timestamp: UtcDatetime
    log_group: LogGroupText
    log_stream: Annotated[str, StringConstraints(max_length=512)] = ""
    message: str
    truncated: bool = False


class LogsEvidenceV1(EvidenceBase):
    schema_version: Literal["logs_evidence.v1"] = "logs_evidence.v1"
    collector: Literal["logs"] = "logs"
    queries: list[LogQuery] = Field(default_factory=list)
    rows: list[LogRow] = Field(default_factory=list)


# --- metrics --------------------------------------------------------------------------------


class MetricSpec(StrictModel):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][A-Za-z0-9_]{0,254}$")]
    namespace: NamespaceText
    metric: MetricNameText
    dimensions: dict[DimensionNameText, DimensionValueText] = Field(default_factory=dict)
    stat: Name
    period: int
    label: MetricLabelText
    origin: Literal["hint", "lambda", "stepfn"] = "hint"


class MetricSeries(StrictModel):
    id: Name
    label: MetricLabelText
    status_code: Name
    timestamps: list[UtcDatetime] = Field(default_factory=list)
    values: list[float] = Field(default_factory=list)


class MetricsEvidenceV1(EvidenceBase):
    schema_version: Literal["metrics_evidence.v1"] = "metrics_evidence.v1"
    collector: Literal["metrics"] = "metrics"
    period_seconds: int
    specs: list[MetricSpec] = Field(default_factory=list)
    series: list[MetricSeries] = Field(default_factory=list)
    season_period_seconds: int | None = Field(
        default=None, description="Period of ``season_series``; None when no season probe was fetched."
    )
    season_series: list[MetricSeries] = Field(
        default_factory=list,
        description="The season probe: the same queries over the week before the window to its end, "
        "at a coarser period, so the analysis can see a daily pattern the short baseline cannot.",
    )


# --- step functions -------------------------------------------------------------------------


class StateMachineSummary(StrictModel):
    name: Name
    arn: Annotated[str, StringConstraints(max_length=2048)]
    counts: dict[Name, int] = Field(default_factory=dict)
    failure_ratio: float | None = None
    executions_truncated: bool = False


class ExecutionRecord(StrictModel):
    execution_arn: Annotated[str, StringConstraints(max_length=2048)]
    state_machine_arn: Annotated[str, StringConstraints(max_length=2048)]
    name: Name
    status: Name
    start_date: UtcDatetime
    stop_date: UtcDatetime | None = None
    failed_state: Name | None = None
    error: ShortText | None = None
    cause: LongText | None = None
    task_resource: Annotated[str, StringConstraints(max_length=2048)] | None = None
    events_examined: int = 0


class StepFnEvidenceV1(EvidenceBase):
    schema_version: Literal["stepfn_evidence.v1"] = "stepfn_evidence.v1"
    collector: Literal["stepfn"] = "stepfn"
    state_machines: list[StateMachineSummary] = Field(default_factory=list)
    executions: list[ExecutionRecord] = Field(default_factory=list)


AnyEvidence = LogsEvidenceV1 | MetricsEvidenceV1 | StepFnEvidenceV1
EVIDENCE_MODELS: dict[str, type[EvidenceBase]] = {
    "logs": LogsEvidenceV1,
    "metrics": MetricsEvidenceV1,
    "stepfn": StepFnEvidenceV1,
}
