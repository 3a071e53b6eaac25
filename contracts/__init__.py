"""Versioned data contracts shared by the API, the Dagster assets and the tools."""

from contracts.actions import (
    ActionDecision,
    ActionFlags,
    ActionPlanV1,
    ActionResultV1,
    ActionStatus,
    ActionType,
    PlannedAction,
)
from contracts.canonical import canonical_json, content_hash, sha256_hex
from contracts.evidence import LogsEvidenceV1, MetricsEvidenceV1, SourceStatus, StepFnEvidenceV1
from contracts.github import GitHubPRReviewEventV1, PRFixPlanV1, ProposedEdit
from contracts.incident_event import IncidentEventV1, IncidentHints, MetricQuery
from contracts.packet import EvidenceRef, Finding, FindingKind, IncidentPacketV1
from contracts.snapshot import EvidenceSnapshotV1

__all__ = [
    "ActionDecision",
    "ActionFlags",
    "ActionPlanV1",
    "ActionResultV1",
    "ActionStatus",
    "ActionType",
    "EvidenceRef",
    "EvidenceSnapshotV1",
    "Finding",
    "FindingKind",
    "GitHubPRReviewEventV1",
    "IncidentEventV1",
    "IncidentHints",
    "IncidentPacketV1",
    "LogsEvidenceV1",
    "MetricQuery",
    "MetricsEvidenceV1",
    "PRFixPlanV1",
    "PlannedAction",
    "ProposedEdit",
    "SourceStatus",
    "StepFnEvidenceV1",
    "canonical_json",
    "content_hash",
    "sha256_hex",
]
