"""Names of the project's own AWS resources (tables, bucket, SSM parameters)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

#: SSM parameters holding secrets/config for the action clients; the sandbox seeds placeholders.
SSM_PARAMETERS: dict[str, str] = {
    "/opsrunbook/api/keys": "demo-key-change-me",
    "/opsrunbook/github/webhook_secret": "placeholder-webhook-secret",
    "/opsrunbook/github/app_id": "000000",
    "/opsrunbook/github/private_key_b64": "placeholder",
    "/opsrunbook/jira/base_url": "http://127.0.0.1:8081",
    "/opsrunbook/jira/email": "opsrunbook@example.com",
    "/opsrunbook/jira/api_token": "placeholder-jira-token",
    "/opsrunbook/teams/webhook_url": "http://127.0.0.1:8082/workflows/opsrunbook",
}

#: Action-client settings: field → (environment variable, SSM parameter under the prefix).
#: The environment wins; unset values are read from SSM ``{OPSRUNBOOK_SSM_PREFIX}/{name}``.
ACTION_SETTINGS: dict[str, tuple[str, str]] = {
    "jira_base_url": ("JIRA_BASE_URL", "jira/base_url"),
    "jira_email": ("JIRA_EMAIL", "jira/email"),
    "jira_api_token": ("JIRA_API_TOKEN", "jira/api_token"),
    "jira_project_key": ("JIRA_PROJECT_KEY", "jira/project_key"),
    "jira_issue_type": ("JIRA_ISSUE_TYPE", "jira/issue_type"),
    "teams_webhook_url": ("TEAMS_WEBHOOK_URL", "teams/webhook_url"),
    "github_api_url": ("GITHUB_API_URL", "github/api_url"),
    "github_app_id": ("GITHUB_APP_ID", "github/app_id"),
    "github_private_key_b64": ("GITHUB_APP_PRIVATE_KEY_B64", "github/private_key_b64"),
    "github_installation_id": ("GITHUB_INSTALLATION_ID", "github/installation_id"),
}
#: Settings whose values are secrets (never logged, never in results or metadata).
SECRET_SETTINGS = frozenset({"jira_api_token", "teams_webhook_url", "github_private_key_b64"})
DEFAULT_SSM_PREFIX = "/opsrunbook"


@dataclass(frozen=True)
class ResourceNames:
    """Table and bucket names; ``from_env`` applies ``OPSRUNBOOK_*`` overrides."""

    incident_requests_table: str = "incident-requests"
    incidents_table: str = "incidents"
    snapshots_table: str = "snapshots"
    packets_table: str = "packets"
    pr_review_requests_table: str = "pr-review-requests"
    evidence_bucket: str = "opsrunbook-evidence"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ResourceNames:
        env = os.environ if environ is None else environ
        prefix = env.get("OPSRUNBOOK_TABLE_PREFIX", "")
        defaults = cls()
        return cls(
            incident_requests_table=env.get(
                "OPSRUNBOOK_INCIDENT_REQUESTS_TABLE", prefix + defaults.incident_requests_table
            ),
            incidents_table=env.get("OPSRUNBOOK_INCIDENTS_TABLE", prefix + defaults.incidents_table),
            snapshots_table=env.get("OPSRUNBOOK_SNAPSHOTS_TABLE", prefix + defaults.snapshots_table),
            packets_table=env.get("OPSRUNBOOK_PACKETS_TABLE", prefix + defaults.packets_table),
            pr_review_requests_table=env.get(
                "OPSRUNBOOK_PR_REVIEW_REQUESTS_TABLE", prefix + defaults.pr_review_requests_table
            ),
            evidence_bucket=env.get("OPSRUNBOOK_EVIDENCE_BUCKET", defaults.evidence_bucket),
        )

    @property
    def tables(self) -> tuple[str, ...]:
        return (
            self.incident_requests_table,
            self.incidents_table,
            self.snapshots_table,
            self.packets_table,
            self.pr_review_requests_table,
        )
