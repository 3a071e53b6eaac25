"""pr-review-requests rows → pr_reviews partitions + one pr_review_job run each (the request queue)."""

import dagster as dg

from opsrunbook_dagster.defs.pr_review.assets import pr_review_job, pr_reviews
from opsrunbook_dagster.defs.resources import OpsRunbookAws, deployment_settings
from opsrunbook_dagster.defs.run_queue import take_launches, tick_result
from opsrunbook_dagster.pr_review.review_tick import plan_review_tick


#: a review's follow-up is not latency-bound; every tick costs the code server a fresh instance
#: (docs/architecture.md, "Sensor ticks"), so this one ticks every other sensor loop
@dg.sensor(job=pr_review_job, minimum_interval_seconds=10, default_status=dg.DefaultSensorStatus.RUNNING)
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
