"""The PR review cycle: pr-review-requests rows → pr_reviews partitions → pr_review_event → pr_fix_plan."""

from typing import Any

import dagster as dg

from contracts.canonical import canonical_json
from contracts.github import FixDecision, GitHubPRReviewEventV1, PRFixPlanV1
from opsrunbook_dagster.defs.resources import OpsRunbookAws, deployment_settings
from opsrunbook_dagster.defs.run_queue import take_launches, tick_result
from opsrunbook_dagster.pipeline.intake import plan_review_tick
from opsrunbook_dagster.planning.pr_fix import STOP, plan_fix

GROUP = "pr_review"
pr_reviews = dg.DynamicPartitionsDefinition(name="pr_reviews")


def _keys(delivery_id: str) -> tuple[str, str]:
    return f"pr-reviews/{delivery_id}/event.json", f"pr-reviews/{delivery_id}/plan.json"


@dg.asset(group_name=GROUP, partitions_def=pr_reviews, kinds={"github", "s3"})
def pr_review_event(context: dg.AssetExecutionContext, aws: OpsRunbookAws) -> dg.MaterializeResult:
    """The normalized review event of one webhook delivery (github_pr_review_event.v1)."""
    deps = aws.deps()
    row = deps.pr_reviews.delivery(context.partition_key)
    if row is None:
        raise dg.Failure(f"no stored delivery {context.partition_key}")
    event = GitHubPRReviewEventV1.model_validate_json(row.body)
    stored = deps.objects.put_bytes(_keys(context.partition_key)[0], canonical_json(event))
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
    event_key, plan_key = _keys(context.partition_key)
    event = deps.objects.get_model(event_key, GitHubPRReviewEventV1)
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
    stored = deps.objects.put_json(plan_key, plan)
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


@dg.sensor(job=pr_review_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def pr_review_sensor(context: dg.SensorEvaluationContext, aws: OpsRunbookAws) -> dg.SensorResult:
    """Each stored delivery becomes one partition and one run (run_key = delivery id), through the
    same request queue as incident requests (claimed first, so two daemons request it once)."""
    store, settings = aws.deps().pr_reviews, deployment_settings()
    # at most this many runs per tick: a burst of review comments queues in the table instead of
    # flooding the run queue
    per_tick = settings.runs_per_review_tick()
    plan = plan_review_tick(store.pending(limit=per_tick))
    for pk, reason in plan.rejections:
        store.transition(pk, from_status=None, to_status="REJECTED", dequeue=True, reason=reason)
    launches = take_launches(context.instance, store, plan, slots=per_tick, settings=settings)
    return tick_result(launches, pr_reviews)
