"""The PR review cycle's assets: pr_reviews partitions (one per delivery) → pr_review_event →
pr_fix_plan, run by pr_review_job."""

from typing import Any

import dagster as dg

from contracts.canonical import canonical_json
from contracts.github import FixDecision, GitHubPRReviewEventV1, PRFixPlanV1
from opsrunbook_dagster.defs.resources import OpsRunbookAws
from opsrunbook_dagster.pr_review.fix_plan import STOP, plan_fix
from opsrunbook_dagster.stores.keys import pr_fix_plan_key, pr_review_event_key

GROUP = "pr_review"
pr_reviews = dg.DynamicPartitionsDefinition(name="pr_reviews")


@dg.asset(group_name=GROUP, partitions_def=pr_reviews, kinds={"github", "s3"})
def pr_review_event(context: dg.AssetExecutionContext, aws: OpsRunbookAws) -> dg.MaterializeResult:
    """The normalized review event of one webhook delivery (github_pr_review_event.v1)."""
    deps = aws.deps()
    row = deps.pr_reviews.delivery(context.partition_key)
    if row is None:
        raise dg.Failure(f"no stored delivery {context.partition_key}")
    event = GitHubPRReviewEventV1.model_validate_json(row.body)
    stored = deps.objects.put_bytes(pr_review_event_key(context.partition_key), canonical_json(event))
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
    deps = aws.deps()
    event = deps.objects.get_model(pr_review_event_key(context.partition_key), GitHubPRReviewEventV1)
    pauses = deps.pr_pauses
    plan: PRFixPlanV1 = plan_fix(event, stopped=pauses.is_stopped(event.repo, event.pr_number))
    command = plan.decision is FixDecision.resume or (
        plan.decision is FixDecision.pause and STOP.search(event.body)
    )
    if command:  # only a trusted commenter's command gets here (others are planned as ignore)
        stopped = plan.decision is FixDecision.pause
        pauses.set(
            event.repo, event.pr_number, stopped=stopped, by=event.author_login, delivery_id=event.delivery_id
        )
    stored = deps.objects.put_json(pr_fix_plan_key(context.partition_key), plan)
    deps.pr_reviews.forward(context.partition_key, "SUCCEEDED", decision=plan.decision.value)
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
