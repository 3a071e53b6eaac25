"""Resources: where AWS is and what the project's tables/bucket are called.

Every field is optional; unset fields fall back to the standard environment (``AWS_REGION``,
``AWS_ENDPOINT_URL``, ``OPSRUNBOOK_*``) when a run starts — never at import time. The same
definitions therefore run against the sandbox and real AWS.
"""

import functools
from dataclasses import replace

import dagster as dg
from pydantic import Field

from contracts.actions import ActionFlags
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.planning.flags import flags_from_env


@functools.cache
def _shared_deps(target: AwsTarget, names: ResourceNames) -> PipelineDeps:
    return PipelineDeps(target=target, names=names)


class OpsRunbookAws(dg.ConfigurableResource):
    """AWS endpoint/region plus the evidence bucket and DynamoDB table names."""

    region_name: str | None = Field(default=None, description="AWS region; default $AWS_REGION or us-east-1.")
    endpoint_url: str | None = Field(
        default=None, description="Custom endpoint (the sandbox); default $AWS_ENDPOINT_URL."
    )
    evidence_bucket: str | None = Field(default=None, description="Default $OPSRUNBOOK_EVIDENCE_BUCKET.")
    table_prefix: str | None = Field(default=None, description="Default $OPSRUNBOOK_TABLE_PREFIX.")

    def target(self) -> AwsTarget:
        env = AwsTarget.from_env()
        return AwsTarget(
            region=self.region_name or env.region, endpoint_url=self.endpoint_url or env.endpoint_url
        )

    def names(self) -> ResourceNames:
        names = ResourceNames.from_env()
        if self.evidence_bucket:
            names = replace(names, evidence_bucket=self.evidence_bucket)
        if self.table_prefix:
            base = ResourceNames()
            names = ResourceNames(
                incident_requests_table=self.table_prefix + base.incident_requests_table,
                incidents_table=self.table_prefix + base.incidents_table,
                snapshots_table=self.table_prefix + base.snapshots_table,
                packets_table=self.table_prefix + base.packets_table,
                pr_review_requests_table=self.table_prefix + base.pr_review_requests_table,
                evidence_bucket=names.evidence_bucket,
            )
        return names

    def deps(self) -> PipelineDeps:
        """Process-wide, per configuration: every asset and check of a run shares the boto3 clients."""
        return _shared_deps(self.target(), self.names())


class ActionSettings(dg.ConfigurableResource):
    """Automation flags; unset fields come from AUTOMATION_ENABLED, ACTIONS_DRY_RUN,
    ENABLE_GITHUB_PR_ACTION and PR_CONFIDENCE_THRESHOLD when a run starts. Endpoints of the live
    clients may be set here; their secrets never are (environment or SSM only)."""

    automation_enabled: bool | None = None
    dry_run: bool | None = None
    github_pr_enabled: bool | None = None
    pr_confidence_threshold: float | None = None
    jira_base_url: str | None = Field(default=None, description="Default $JIRA_BASE_URL, else SSM.")
    github_api_url: str | None = Field(default=None, description="Default $GITHUB_API_URL, else SSM.")
    ssm_prefix: str | None = Field(
        default=None, description="Where secrets live in SSM; default $OPSRUNBOOK_SSM_PREFIX or /opsrunbook."
    )

    def runtime(self) -> ActionsRuntime:
        """Live-client settings (secrets only ever come from the environment or SSM)."""
        overrides = {"jira_base_url": self.jira_base_url, "github_api_url": self.github_api_url}
        return ActionsRuntime(overrides=overrides, ssm_prefix=self.ssm_prefix)

    def flags(self) -> ActionFlags:
        env = flags_from_env()
        return ActionFlags(
            automation_enabled=env.automation_enabled
            if self.automation_enabled is None
            else self.automation_enabled,
            dry_run=env.dry_run if self.dry_run is None else self.dry_run,
            github_pr_enabled=env.github_pr_enabled
            if self.github_pr_enabled is None
            else self.github_pr_enabled,
            pr_confidence_threshold=(
                env.pr_confidence_threshold
                if self.pr_confidence_threshold is None
                else self.pr_confidence_threshold
            ),
        )
