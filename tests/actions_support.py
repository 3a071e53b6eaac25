"""Helpers for the action tests: packets and plans, configuration for the fakes, crash hooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.actions import ActionFlags, ActionPlanV1
from contracts.canonical import short_hash
from contracts.evidence import LogsEvidenceV1
from contracts.packet import IncidentPacketV1
from opsrunbook_dagster.clients.config import ActionConfig, EndpointPolicy
from opsrunbook_dagster.clients.http import RetryPolicy
from opsrunbook_dagster.clients.secrets import Secret
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.planning.planner import build_plan
from opsrunbook_dagster.stores.keys import packet_key, plan_key
from tests import factories

JIRA_EMAIL = "bot@example.com"
JIRA_TOKEN = "jira-token-5ecr3t-0123456789"
TEAMS_SIG = "teams-sig-5ecr3t-abcdef0123456789"
#: Fast retries for tests (the policy shape is the production one).
#: (read timeout 10 s: the fakes validate every body, which takes seconds on a loaded shared machine;
#: tests about timeouts set their own policy)
FAST = RetryPolicy(attempts=5, backoff_factor=0.01, backoff_max=0.05, jitter=0.01, read_timeout=10.0)


class SimulatedCrash(BaseException):
    """The process dies: not an ``Exception``, so nothing on the way records anything."""


@dataclass
class CrashAfter:
    """``after_write`` hook: crash right after the ``n``-th successful write (0 = never)."""

    n: int
    seen: list[str] = field(default_factory=list)

    def __call__(self, label: str, method: str, path: str) -> None:
        self.seen.append(f"{label} {method} {path}")
        if self.n and len(self.seen) == self.n:
            raise SimulatedCrash(f"crash after {self.seen[-1]}")


@dataclass
class Clock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def new_incident(tag: str) -> str:
    return "inc-" + short_hash(tag, str(datetime.now(UTC).timestamp()), length=10)


def packet(incident_id: str, run_id: str = "r0123456789ab", **overrides: Any) -> IncidentPacketV1:
    """A packet whose evidence refs point at this run's logs object (see ``store_logs``)."""
    doc = factories.packet(incident_id=incident_id, run_id=run_id, **overrides)
    doc["snapshot_ref"]["key"] = f"evidence/{incident_id}/{run_id}.json"
    for finding in doc["findings"]:
        for ref in finding.get("evidence_refs", []):
            ref["s3_key"] = logs_key(incident_id, run_id)
    return IncidentPacketV1.model_validate(doc).with_hashes()


def logs_key(incident_id: str, run_id: str) -> str:
    return f"evidence/{incident_id}/{run_id}/logs.json"


def store_logs(deps: PipelineDeps, incident_id: str, run_id: str, messages: list[str]) -> None:
    rows = [{**factories.logs_evidence()["rows"][0], "message": m} for m in messages]
    doc = factories.logs_evidence(incident_id=incident_id, run_id=run_id, rows=rows)
    deps.objects.put_json(logs_key(incident_id, run_id), LogsEvidenceV1.model_validate(doc))


def owners(*entries: tuple[str, float, str]) -> list[dict[str, Any]]:
    return [{"repo": r, "confidence": c, "method": m, "reasons": [f"test {m}"]} for r, c, m in entries]


def store(deps: PipelineDeps, pkt: IncidentPacketV1, flags: ActionFlags | None = None) -> ActionPlanV1:
    """Put packet and plan where the results stage reads them."""
    plan = build_plan(pkt, flags or ActionFlags(dry_run=False))
    deps.objects.put_json(packet_key(pkt.incident_id, pkt.run_id), pkt)
    deps.objects.put_json(plan_key(pkt.incident_id, pkt.run_id), plan)
    return plan


def github_settings(server: Any) -> dict[str, str]:
    return {
        "github_api_url": server.url,
        "github_app_id": server.app.app_id,
        "github_private_key_b64": server.app.private_key_b64,
    }


def config(
    jira: str | None = None, teams: str | None = None, github: dict[str, str] | None = None
) -> ActionConfig:
    values: dict[str, str] = {}
    secrets: dict[str, Secret] = {}
    if jira:
        values.update(jira_base_url=jira, jira_email=JIRA_EMAIL, jira_project_key="OPS")
        secrets["jira_api_token"] = Secret(JIRA_TOKEN)
    if teams:
        secrets["teams_webhook_url"] = Secret(f"{teams}/workflows/opsrunbook?sig={TEAMS_SIG}")
    if github:
        values.update({k: v for k, v in github.items() if k != "github_private_key_b64"})
        secrets["github_private_key_b64"] = Secret(github["github_private_key_b64"])
    return ActionConfig(values=values, secrets=secrets, endpoints=EndpointPolicy(allow_loopback_http=True))


def needs_reference(relative: str) -> pytest.MarkDecorator:
    """Skip (with the reason) when a ../shared/reference file is not there (CI lays it beside the clone)."""
    from opsrunbook_dagster.fakes.reference import reference_dir

    path = reference_dir() / relative
    return pytest.mark.skipif(not path.exists(), reason=f"{path} absent (set OPSRUNBOOK_REFERENCE_DIR)")
