"""Every contract by its schema name, for schema export and generic validation."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ValidationError

from contracts.actions import ActionPlanV1, ActionResultV1
from contracts.evidence import LogsEvidenceV1, MetricsEvidenceV1, StepFnEvidenceV1
from contracts.github import GitHubPRReviewEventV1, PRFixPlanV1
from contracts.incident_event import IncidentEventV1
from contracts.packet import IncidentPacketV1
from contracts.snapshot import EvidenceSnapshotV1

CONTRACTS: dict[str, type[BaseModel]] = {
    "incident_event.v1": IncidentEventV1,
    "logs_evidence.v1": LogsEvidenceV1,
    "metrics_evidence.v1": MetricsEvidenceV1,
    "stepfn_evidence.v1": StepFnEvidenceV1,
    "evidence_snapshot.v1": EvidenceSnapshotV1,
    "incident_packet.v1": IncidentPacketV1,
    "incident_action_plan.v1": ActionPlanV1,
    "incident_action_result.v1": ActionResultV1,
    "github_pr_review_event.v1": GitHubPRReviewEventV1,
    "pr_fix_plan.v1": PRFixPlanV1,
}


def export_json_schemas(directory: Path) -> list[Path]:
    """Write ``<schema_version>.schema.json`` for every contract; returns the written paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in sorted(CONTRACTS.items()):
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = f"https://opsrunbook.dev/schemas/{name}.schema.json"
        path = directory / f"{name}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def first_error(exc: ValidationError) -> str:
    """One line naming the first offending field, e.g. ``time_window.end: end must be after start``."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "<root>"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}"
