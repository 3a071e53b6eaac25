"""The PR review cycle's assets: pr_reviews partitions (one per delivery) → pr_review_event →
pr_fix_plan, run by pr_review_job (thin: the stages are ``pr_review/stages.py``)."""

from typing import Any

import dagster as dg

from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pr_review.stages import DeliveryMissing, event_stage, fix_plan_stage

GROUP = "pr_review"
pr_reviews = dg.DynamicPartitionsDefinition(name="pr_reviews")


@dg.asset(group_name=GROUP, partitions_def=pr_reviews, kinds={"github", "s3"})
def pr_review_event(context: dg.AssetExecutionContext, aws: OpsRunbookAws) -> dg.MaterializeResult:
    """The normalized review event of one webhook delivery (github_pr_review_event.v1)."""
    try:
        event, stored = event_stage(aws.deps(), context.partition_key)
    except DeliveryMissing as exc:
        raise dg.Failure(str(exc)) from exc
    return dg.MaterializeResult(
        metadata={
            "s3_uri": dg.MetadataValue.url(stored.uri),
            "repo": event.repo,
            "pr": event.pr_number,
            "event": f"{event.event.value}/{event.action}",
            "author": event.author_login,
        }
    )


@dg.asset(group_name=GROUP, partitions_def=pr_reviews, deps=[pr_review_event], kinds={"github", "s3"})
def pr_fix_plan(context: dg.AssetExecutionContext, aws: OpsRunbookAws) -> dg.MaterializeResult:
    """Deterministic fix plan: suggestion blocks → exact edits; /opsrunbook stop → pause; else a human."""
    plan, stored = fix_plan_stage(aws.deps(), context.partition_key)
    metadata: dict[str, Any] = {
        "s3_uri": dg.MetadataValue.url(stored.uri),
        "decision": plan.decision.value,
        "reason": plan.reason,
        "edits": len(plan.edits),
    }
    return dg.MaterializeResult(metadata=metadata)


pr_review_job = dg.define_asset_job(
    "pr_review_job",
    selection=dg.AssetSelection.groups(GROUP),
    executor_def=dg.in_process_executor,
    description="Normalize a review delivery and plan follow-up edits on the PR.",
)
