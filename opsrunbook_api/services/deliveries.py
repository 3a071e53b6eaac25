"""GitHub deliveries: one row per delivery id in the pr-review-requests table, written at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.canonical import canonical_json, format_datetime, sha256_hex
from contracts.github import GitHubPRReviewEventV1
from opsrunbook_dagster.stores.requests_table import PENDING, from_item, to_item


def delivery_pk(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"


@dataclass
class DeliveryService:
    dynamodb: Any
    table: str

    def record(self, event: GitHubPRReviewEventV1) -> bool:
        """Store the normalized event for the sensor; False if this delivery id was already stored."""
        body = canonical_json(event).decode("utf-8")
        item = {
            "pk": delivery_pk(event.delivery_id),
            "sk": "EVENT",
            "kind": "github_pr_review",
            "delivery_id": event.delivery_id,
            "event": event.event.value,
            "action": event.action,
            "repo": event.repo,
            "pr_number": event.pr_number,
            "status": "REQUESTED",
            "queue": PENDING,
            "created_at": format_datetime(event.received_at or datetime.now(UTC)),
            "body": body,
            "body_sha256": sha256_hex(body.encode("utf-8")),
        }
        try:
            self.dynamodb.put_item(
                TableName=self.table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, delivery_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table,
            Key=to_item({"pk": delivery_pk(delivery_id), "sk": "EVENT"}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None
