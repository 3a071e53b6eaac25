"""The deployment's settings: the one object that reads the environment.

Built at the edges only (the CLI commands, the API app factory, the Dagster resources and sensors
when a run or tick starts — never at import time); everything below them gets typed values from
it. The environment variable names are the documented ones (``AWS_REGION``, ``OPSRUNBOOK_*``,
``ACTIONS_DRY_RUN``, …); a blank variable counts as unset.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.actions import ActionFlags
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ACTION_SETTINGS, ResourceNames
from opsrunbook_dagster.clients.config import ACTION_HOSTS_ENV, ALLOW_LOOPBACK_HTTP_ENV, EndpointPolicy
from opsrunbook_dagster.planning.flags import FLAG_VARIABLES, flags_from_values


def _env(name: str, default: Any = None, **kwargs: Any) -> Any:
    return Field(default=default, validation_alias=name, **kwargs)


class OpsRunbookSettings(BaseSettings):
    """Where AWS is, what the project's tables and bucket are called, the automation flags, the
    action clients' settings (else SSM), the orchestration limits and the repository map."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True, extra="ignore", populate_by_name=True, frozen=True
    )

    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    aws_endpoint_url: str | None = _env("AWS_ENDPOINT_URL")
    #: Only whether they are set matters: with neither, a custom endpoint gets the sandbox's credentials.
    aws_access_key_id: SecretStr | None = _env("AWS_ACCESS_KEY_ID")
    aws_profile: str | None = _env("AWS_PROFILE")

    table_prefix: str = _env("OPSRUNBOOK_TABLE_PREFIX", "")
    incident_requests_table: str | None = _env("OPSRUNBOOK_INCIDENT_REQUESTS_TABLE")
    incidents_table: str | None = _env("OPSRUNBOOK_INCIDENTS_TABLE")
    snapshots_table: str | None = _env("OPSRUNBOOK_SNAPSHOTS_TABLE")
    packets_table: str | None = _env("OPSRUNBOOK_PACKETS_TABLE")
    pr_review_requests_table: str | None = _env("OPSRUNBOOK_PR_REVIEW_REQUESTS_TABLE")
    evidence_bucket: str | None = _env("OPSRUNBOOK_EVIDENCE_BUCKET")

    # Automation flags stay text until asked for (``action_flags``), so a malformed one fails the
    # stage that uses it with the variable's name, not every reader of the settings.
    automation_enabled: str | None = _env("AUTOMATION_ENABLED")
    actions_dry_run: str | None = _env("ACTIONS_DRY_RUN")
    enable_github_pr_action: str | None = _env("ENABLE_GITHUB_PR_ACTION")
    pr_confidence_threshold: str | None = _env("PR_CONFIDENCE_THRESHOLD")

    ssm_prefix: str | None = _env("OPSRUNBOOK_SSM_PREFIX")
    allow_loopback_http: str | None = _env(ALLOW_LOOPBACK_HTTP_ENV)
    action_hosts: str | None = _env(ACTION_HOSTS_ENV)
    jira_base_url: str | None = _env("JIRA_BASE_URL")
    jira_email: str | None = _env("JIRA_EMAIL")
    jira_api_token: SecretStr | None = _env("JIRA_API_TOKEN")
    jira_project_key: str | None = _env("JIRA_PROJECT_KEY")
    jira_issue_type: str | None = _env("JIRA_ISSUE_TYPE")
    teams_webhook_url: SecretStr | None = _env("TEAMS_WEBHOOK_URL")
    github_api_url: str | None = _env("GITHUB_API_URL")
    github_app_id: str | None = _env("GITHUB_APP_ID")
    github_private_key_b64: SecretStr | None = _env("GITHUB_APP_PRIVATE_KEY_B64")
    github_installation_id: str | None = _env("GITHUB_INSTALLATION_ID")

    dagster_ui_url: str = _env("DAGSTER_UI_URL", "http://127.0.0.1:3000")
    api_url: str = _env("OPSRUNBOOK_API_URL", "http://127.0.0.1:8000")
    repo_map: str | None = _env("OPSRUNBOOK_REPO_MAP")
    metrics_namespace: str | None = _env("OPSRUNBOOK_METRICS_NAMESPACE")
    #: Runs in flight (the request sensor's backpressure; burst of 100, benchmarks.pipeline_bench at
    #: 9938b16: 6 -> 169 s, 8 -> 145 s, 12 -> 154 s).
    max_concurrent_runs: int = _env("OPSRUNBOOK_MAX_CONCURRENT_RUNS", 8)
    #: How long a request-sensor tick with nothing to launch (no new row, or no free slot) keeps
    #: looking before it ends. Dagster's sensor daemon starts ticks once per 5 s loop, so without it a
    #: row written just after a tick waits 2.5 s on average for the next one; at most 4 s so the tick
    #: ends before the next loop. 0 = one look per tick. Needs ``sensors: use_threads`` in the
    #: instance (every config in infra/ has it), else the wait would hold up the other sensors.
    sensor_wait_seconds: float = _env("OPSRUNBOOK_SENSOR_WAIT_SECONDS", 3.5, ge=0.0, le=4.0)
    run_max_retries: int = _env("OPSRUNBOOK_RUN_MAX_RETRIES", 2)
    run_max_runtime_seconds: int = _env("OPSRUNBOOK_RUN_MAX_RUNTIME_SECONDS", 900)
    reschedule_after_seconds: float = _env("OPSRUNBOOK_RESCHEDULE_AFTER_SECONDS", 15.0)
    pr_review_runs_per_tick: str | None = _env("OPSRUNBOOK_PR_REVIEW_RUNS_PER_TICK")

    @classmethod
    def current(cls) -> OpsRunbookSettings:
        """The settings of the environment as it is now, built once per distinct environment: a
        build costs ~7 ms and a run asks ~16 times (each resource method, each sensor tick). Any
        change to the environment, the kill switch's variables included, is a fresh read."""
        return _settings_of(cls, frozenset(os.environ.items()))

    def aws_target(self, endpoint_url: str | None = None) -> AwsTarget:
        """The deployment's AWS (``endpoint_url`` given: that endpoint, in the deployment's region)."""
        return AwsTarget(
            region=self.aws_region,
            endpoint_url=endpoint_url or self.aws_endpoint_url or None,
            sandbox_credentials=not (self.aws_access_key_id or self.aws_profile),
        )

    def resource_names(self) -> ResourceNames:
        return ResourceNames.derive(
            self.table_prefix,
            incident_requests_table=self.incident_requests_table,
            incidents_table=self.incidents_table,
            snapshots_table=self.snapshots_table,
            packets_table=self.packets_table,
            pr_review_requests_table=self.pr_review_requests_table,
            evidence_bucket=self.evidence_bucket,
        )

    def action_flags(self) -> ActionFlags:
        """The deployment's flags; ``ValueError`` naming the variable when one is not true/false."""
        raw = {variable: getattr(self, name) for name, variable in FLAG_VARIABLES.items()}
        return flags_from_values({k: v for k, v in raw.items() if v is not None})

    def endpoint_policy(self) -> EndpointPolicy:
        return EndpointPolicy.from_env(self.action_environment())

    def action_environment(self) -> dict[str, str]:
        """What ``clients.config.load_action_config`` reads, by variable name: the action clients'
        settings given here (the rest come from SSM), the SSM prefix and the endpoint policy."""
        values: dict[str, str] = {}
        for name, (variable, _) in ACTION_SETTINGS.items():
            value = getattr(self, name)
            if value is not None:
                values[variable] = value.get_secret_value() if isinstance(value, SecretStr) else value
        for variable, value in (
            ("OPSRUNBOOK_SSM_PREFIX", self.ssm_prefix),
            (ALLOW_LOOPBACK_HTTP_ENV, self.allow_loopback_http),
            (ACTION_HOSTS_ENV, self.action_hosts),
        ):
            if value is not None:
                values[variable] = value
        return values

    def dagster_run_url(self, dagster_run_id: str) -> str:
        return f"{self.dagster_ui_url.rstrip('/')}/runs/{dagster_run_id}"

    def runs_per_review_tick(self) -> int:
        """At most this many PR-review runs per sensor tick (default 10; a non-number is the default)."""
        raw = self.pr_review_runs_per_tick or "10"
        return max(1, int(raw)) if raw.isdigit() else 10


@functools.lru_cache(maxsize=8)
def _settings_of(cls: type[OpsRunbookSettings], environ: frozenset[tuple[str, str]]) -> OpsRunbookSettings:
    """``environ`` is the cache key only: the settings read ``os.environ`` (the same variables)."""
    return cls()
