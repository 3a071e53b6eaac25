"""Plan a tick of the PR review queue: stored deliveries → launches and rejections (pure; the
sensor applies them through ``request_queue.take``, like incident requests)."""

from __future__ import annotations

from contracts.github import GitHubPRReviewEventV1
from opsrunbook_dagster.stores.request_queue import Launch, TickPlan
from opsrunbook_dagster.stores.requests_table import RequestRow
from opsrunbook_dagster.stores.table_keys import delivery_pk


def plan_review_tick(rows: list[RequestRow]) -> TickPlan:
    """GitHub review deliveries: one run per delivery (partition key = run key = delivery id)."""
    plan = TickPlan()
    for row in rows:
        if row.status not in ("REQUESTED", "SCHEDULED"):
            continue
        try:
            GitHubPRReviewEventV1.model_validate_json(row.body)
        except ValueError as exc:
            plan.rejections.append((row.pk, str(exc)[:500]))
            continue
        delivery_id = delivery_pk.id_of(row.pk)
        plan.launches.append(Launch.of(row, delivery_id, delivery_id))
    return plan
