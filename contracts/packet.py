"""``IncidentPacketV1``: findings, hypotheses, next actions, owners and limits, all grounded."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from contracts.base import (
    Confidence,
    LongText,
    Name,
    Severity,
    Sha256,
    ShortText,
    StrictModel,
    TimeWindow,
    UtcDatetime,
)
from contracts.canonical import content_hash
from contracts.evidence import Collector
from contracts.repo_name import RepoName

#: RFC 6901 JSON pointer ("" is the whole document).
JsonPointer = Annotated[str, StringConstraints(pattern=r"^(/([^~/]|~[01])*)*$", max_length=1024)]
#: Findings above this confidence must cite evidence.
GROUNDING_THRESHOLD = 0.6


class FindingKind(StrEnum):
    log_signature = "log_signature"
    metric_anomaly = "metric_anomaly"
    stepfn_failure = "stepfn_failure"
    lambda_timeout = "lambda_timeout"
    throttling = "throttling"
    out_of_memory = "out_of_memory"
    runtime_error = "runtime_error"
    error_rate = "error_rate"
    cold_start = "cold_start"
    dependency_failure = "dependency_failure"


class EvidenceRef(StrictModel):
    collector: Collector
    s3_key: Name
    sha256: Sha256
    pointer: JsonPointer


class MetricBand(StrictModel):
    """What a metric finding was judged against, so a chart can show it: the baseline the analyzer
    used (from ``baseline_start``, after a level change), its median, the thresholds the judged
    scale had to cross (``None``: that direction is not judged), and the span that crossed them."""

    series_id: Name
    #: which list of the metrics evidence holds that series: the fetched one, or the season probe
    series_set: Literal["series", "season_series"] = "series"
    scale: Literal["level", "sustained", "spike", "noisier"]
    points: int = Field(ge=1, description="Points per judged value (a running median of this many).")
    baseline_start: UtcDatetime
    baseline_median: float
    lower: float | None = None
    upper: float | None = None
    value: float = Field(description="The judged value: a median at that scale, the point, or the step.")
    anomaly_start: UtcDatetime
    anomaly_end: UtcDatetime


class CausalLink(StrictModel):
    """One edge of the dependency graph between two findings of a packet: a caller's symptom and
    the callee condition that explains it. ``symptom_refs`` show the caller's side (the row that
    names the callee, the execution whose task invokes it), ``cause_refs`` the callee's own
    condition (its metric points, its log rows)."""

    finding_id: Name = Field(
        description="The other finding: the cause (in caused_by) or the symptom (in explains)."
    )
    reason: ShortText = Field(description="How the call was seen, e.g. 'its log lines name fraud-score'.")
    basis: Literal["named", "arn", "task", "service", "layer", "waits"]
    symptom_refs: list[EvidenceRef] = Field(default_factory=list)
    cause_refs: list[EvidenceRef] = Field(default_factory=list)


#: Fields left out of a finding's id: links name other findings by id, so the ids must not depend
#: on them (and packets written before links existed keep their ids).
LINK_FIELDS = frozenset({"caused_by", "explains"})


class Finding(StrictModel):
    """One grounded observation. ``id`` is derived from the content (links aside) and verified on load."""

    id: str = ""
    kind: FindingKind
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    summary: LongText
    resource: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    severity: Severity
    confidence: Confidence
    signature: Annotated[str, StringConstraints(max_length=4096)] | None = None
    count: int | None = None
    baseline_count: int | None = None
    first_seen: UtcDatetime | None = None
    last_seen: UtcDatetime | None = None
    evidence_refs: list[EvidenceRef] = Field(default_factory=list)
    metric: MetricBand | None = None
    #: The findings on other resources that explain this one (their condition is the root cause).
    caused_by: list[CausalLink] = Field(default_factory=list)
    #: The findings on other resources that this one explains (its callers' symptoms).
    explains: list[CausalLink] = Field(default_factory=list)

    def derive_id(self) -> str:
        return "f-" + content_hash(self.model_dump(exclude={"id", *LINK_FIELDS}))[:16]

    @model_validator(mode="after")
    def _grounded_and_identified(self) -> Finding:
        if self.confidence > GROUNDING_THRESHOLD and not self.evidence_refs:
            raise ValueError(
                f"finding with confidence {self.confidence} > {GROUNDING_THRESHOLD} must cite evidence_refs"
            )
        derived = self.derive_id()
        if not self.id:
            self.id = derived
        elif self.id != derived:
            raise ValueError(f"finding id {self.id!r} does not match its content (expected {derived!r})")
        return self


class Hypothesis(StrictModel):
    id: Name
    statement: ShortText
    reasoning: LongText
    finding_ids: list[Name] = Field(default_factory=list)
    confidence: Confidence


class NextActionKind(StrEnum):
    insights_query = "insights_query"
    aws_cli = "aws_cli"
    console_link = "console_link"
    runbook = "runbook"


class NextAction(StrictModel):
    id: Name
    kind: NextActionKind
    title: ShortText
    command: LongText
    finding_ids: list[Name] = Field(default_factory=list)


class SuspectedOwner(StrictModel):
    repo: RepoName | None = None
    team: Name | None = None
    confidence: Confidence
    method: Literal["mapping", "trace", "heuristic"]
    reasons: list[ShortText] = Field(default_factory=list)


class Limit(StrictModel):
    code: Name
    message: ShortText
    collector: Collector | None = None
    source: Annotated[str, StringConstraints(max_length=2048)] | None = None


class SnapshotRef(StrictModel):
    bucket: Name
    key: Name
    sha256: Sha256


class ModelTrace(StrictModel):
    provider: Literal["deterministic"] = "deterministic"
    analyzer_version: Name


class PacketHashes(StrictModel):
    content_sha256: Sha256
    snapshot_sha256: Sha256


class IncidentPacketV1(StrictModel):
    schema_version: Literal["incident_packet.v1"] = "incident_packet.v1"
    incident_id: Name
    run_id: Name
    service: Name
    environment: Name
    severity: Severity
    summary: LongText
    window: TimeWindow
    findings: list[Finding] = Field(default_factory=list, description="Ranked: most likely root cause first.")
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    next_actions: list[NextAction] = Field(default_factory=list)
    suspected_owners: list[SuspectedOwner] = Field(default_factory=list)
    limits: list[Limit] = Field(default_factory=list)
    snapshot_ref: SnapshotRef
    model_trace: ModelTrace
    packet_hashes: PacketHashes | None = None

    @model_validator(mode="after")
    def _unique_finding_ids(self) -> IncidentPacketV1:
        ids = [f.id for f in self.findings]
        if len(ids) != len(set(ids)):
            raise ValueError("findings contain duplicate ids")
        known = set(ids)
        for finding in self.findings:
            for link in (*finding.caused_by, *finding.explains):
                if link.finding_id not in known:
                    raise ValueError(
                        f"finding {finding.id} links to {link.finding_id}, which is not in the packet"
                    )
        return self

    def compute_content_hash(self) -> str:
        return content_hash(self)

    def with_hashes(self) -> IncidentPacketV1:
        hashes = PacketHashes(
            content_sha256=self.compute_content_hash(), snapshot_sha256=self.snapshot_ref.sha256
        )
        return self.model_copy(update={"packet_hashes": hashes})


__all__ = [
    "CausalLink",
    "EvidenceRef",
    "Finding",
    "FindingKind",
    "Hypothesis",
    "IncidentPacketV1",
    "Limit",
    "MetricBand",
    "ModelTrace",
    "NextAction",
    "NextActionKind",
    "PacketHashes",
    "SnapshotRef",
    "SuspectedOwner",
    "UtcDatetime",
]
