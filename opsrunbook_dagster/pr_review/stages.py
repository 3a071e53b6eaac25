"""The PR review cycle's stages as plain functions (the ``pr_review`` assets call them): store a
delivery's normalized event, then decide its fix plan and keep ``/opsrunbook stop|resume``."""

from __future__ import annotations

from contracts.canonical import canonical_json
from contracts.github import FixDecision, GitHubPRReviewEventV1, PRFixPlanV1
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pr_review.fix_plan import STOP, plan_fix
from opsrunbook_dagster.stores.keys import pr_fix_plan_key, pr_review_event_key
from opsrunbook_dagster.stores.objects import StoredObject


class DeliveryMissing(LookupError):
    """The partition names a delivery the pr-review-requests table does not hold."""


def event_stage(deps: PipelineDeps, delivery_id: str) -> tuple[GitHubPRReviewEventV1, StoredObject]:
    """The delivery's review event (``github_pr_review_event.v1``), stored as canonical JSON."""
    row = deps.pr_reviews.delivery(delivery_id)
    if row is None:
        raise DeliveryMissing(f"no stored delivery {delivery_id}")
    event = GitHubPRReviewEventV1.model_validate_json(row.body)
    return event, deps.objects.put_bytes(pr_review_event_key(delivery_id), canonical_json(event))


def fix_plan_stage(deps: PipelineDeps, delivery_id: str) -> tuple[PRFixPlanV1, StoredObject]:
    """Plan the stored event (paused while ``/opsrunbook stop`` is in force on the PR), record a
    stop or resume command, store the plan and mark the delivery SUCCEEDED."""
    event = deps.objects.get_model(pr_review_event_key(delivery_id), GitHubPRReviewEventV1)
    pauses = deps.pr_pauses
    plan = plan_fix(event, stopped=pauses.is_stopped(event.repo, event.pr_number))
    command = plan.decision is FixDecision.resume or (
        plan.decision is FixDecision.pause and STOP.search(event.body)
    )
    if command:  # only a trusted commenter's command gets here (others are planned as ignore)
        stopped = plan.decision is FixDecision.pause
        pauses.set(
            event.repo, event.pr_number, stopped=stopped, by=event.author_login, delivery_id=event.delivery_id
        )
    stored = deps.objects.put_json(pr_fix_plan_key(delivery_id), plan)
    deps.pr_reviews.forward(delivery_id, "SUCCEEDED", decision=plan.decision.value)
    return plan, stored
