"""Resources: where AWS is and what the project's tables/bucket are called.

Every field is optional; unset fields fall back to the deployment's settings
(``opsrunbook_dagster.settings``: ``AWS_REGION``, ``AWS_ENDPOINT_URL``, ``OPSRUNBOOK_*``), read
when a run starts — never at import time. The same definitions therefore run against the sandbox
and real AWS.

Fields can be set by run config (the launchpad, GraphQL), so none may widen what a run can do: an
AWS ``endpoint_url``, region, bucket or table prefix other than the deployment's is refused unless
the endpoint is a loopback address and ``OPSRUNBOOK_ALLOW_LOOPBACK_HTTP=true`` (the sandbox,
tests); the action flags may only make a run safer (``ActionSettings``).
"""

import functools
from dataclasses import replace

import dagster as dg
from pydantic import Field

from contracts.actions import ActionFlags
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.aws.names import ResourceNames
from opsrunbook_dagster.clients.config import is_loopback
from opsrunbook_dagster.pipeline.actions import ActionsRuntime
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.settings import OpsRunbookSettings


def deployment_settings() -> OpsRunbookSettings:
    """The deployment's settings, read from the environment when a run or a tick needs them."""
    return OpsRunbookSettings.current()


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
        settings = deployment_settings()
        env = settings.aws_target()
        if self.endpoint_url and self.endpoint_url != env.endpoint_url:
            local = settings.endpoint_policy()
            if not (local.allow_loopback_http and is_loopback(self.endpoint_url)):
                raise ValueError(
                    "OpsRunbookAws.endpoint_url may only differ from the deployment's AWS_ENDPOINT_URL "
                    "for a loopback sandbox with OPSRUNBOOK_ALLOW_LOOPBACK_HTTP=true"
                )
        return replace(
            env, region=self.region_name or env.region, endpoint_url=self.endpoint_url or env.endpoint_url
        )

    def _local(self, settings: OpsRunbookSettings) -> bool:
        """A loopback sandbox with the local flag: tests and the demo may point runs at their own
        tables; a deployment may not (another table prefix would be a fresh action ledger)."""
        endpoint = self.endpoint_url or settings.aws_endpoint_url
        return (
            settings.endpoint_policy().allow_loopback_http and bool(endpoint) and is_loopback(endpoint or "")
        )

    def names(self) -> ResourceNames:
        settings = deployment_settings()
        names = settings.resource_names()
        overrides = {
            "evidence_bucket": (self.evidence_bucket, names.evidence_bucket),
            "table_prefix": (self.table_prefix, settings.table_prefix),
            "region_name": (self.region_name, settings.aws_region),
        }
        widened = sorted(k for k, (given, deployed) in overrides.items() if given and given != deployed)
        if widened and not self._local(settings):
            raise ValueError(
                f"OpsRunbookAws.{', '.join(widened)} may only differ from the deployment's settings for a "
                "loopback sandbox with OPSRUNBOOK_ALLOW_LOOPBACK_HTTP=true"
            )
        if self.evidence_bucket:
            names = replace(names, evidence_bucket=self.evidence_bucket)
        if self.table_prefix:
            names = ResourceNames.derive(self.table_prefix, evidence_bucket=names.evidence_bucket)
        return names

    def deps(self) -> PipelineDeps:
        """Process-wide, per configuration: every asset and check of a run shares the boto3 clients."""
        return _shared_deps(self.target(), self.names())


class ActionSettings(dg.ConfigurableResource):
    """Automation flags from the deployment: AUTOMATION_ENABLED, ACTIONS_DRY_RUN,
    ENABLE_GITHUB_PR_ACTION and PR_CONFIDENCE_THRESHOLD, read when a run starts.

    Run config (the launchpad, GraphQL) may only make a run *safer*: ``automation_enabled=False``
    disables, ``dry_run=True`` forces a dry run, ``github_pr_enabled=False`` turns PRs off, and a
    higher ``pr_confidence_threshold`` tightens the gate; the opposite values change nothing.
    Endpoints, the SSM prefix and secrets come only from the environment or SSM."""

    automation_enabled: bool | None = Field(default=None, description="False disables (True: no effect).")
    dry_run: bool | None = Field(default=None, description="True forces a dry run (False: no effect).")
    github_pr_enabled: bool | None = Field(default=None, description="False disables PRs (True: no effect).")
    pr_confidence_threshold: float | None = Field(
        default=None, description="Raises the PR gate above the deployment's (never lowers it)."
    )

    def runtime(self) -> ActionsRuntime:
        """Live-client settings: the deployment's settings and SSM only."""
        return ActionsRuntime(environ=deployment_settings().action_environment())

    def flags(self) -> ActionFlags:
        env = deployment_settings().action_flags()
        return ActionFlags(
            automation_enabled=env.automation_enabled and self.automation_enabled is not False,
            dry_run=env.dry_run or self.dry_run is True,
            github_pr_enabled=env.github_pr_enabled and self.github_pr_enabled is not False,
            pr_confidence_threshold=max(env.pr_confidence_threshold, self.pr_confidence_threshold or 0.0),
        )
