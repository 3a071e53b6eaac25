"""Names of the project's own AWS resources (tables, bucket, SSM parameters)."""

from __future__ import annotations

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
    """Table and bucket names (``derive`` is the one place they are derived from settings)."""

    incident_requests_table: str = "incident-requests"
    incidents_table: str = "incidents"
    snapshots_table: str = "snapshots"
    packets_table: str = "packets"
    pr_review_requests_table: str = "pr-review-requests"
    evidence_bucket: str = "opsrunbook-evidence"

    @classmethod
    def derive(cls, table_prefix: str = "", **named: str | None) -> ResourceNames:
        """Each table is ``table_prefix`` + its default name unless ``named`` names it; the bucket is
        never prefixed (``OPSRUNBOOK_TABLE_PREFIX`` and the ``OPSRUNBOOK_*_TABLE``/``_BUCKET``
        settings)."""
        defaults = cls()
        unknown = set(named) - set(cls.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown resource names: {sorted(unknown)}")
        values = {
            field: named.get(field) or (default if field == "evidence_bucket" else table_prefix + default)
            for field, default in vars(defaults).items()
        }
        return cls(**values)

    @property
    def tables(self) -> tuple[str, ...]:
        return (
            self.incident_requests_table,
            self.incidents_table,
            self.snapshots_table,
            self.packets_table,
            self.pr_review_requests_table,
        )
