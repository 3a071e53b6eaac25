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

    def record(self, event: GitHubPRReviewEventV1, signed_sha256: str | None = None) -> bool:
        """Store the normalized event for the sensor; False if this delivery id was already stored,
        or (``signed_sha256``) the same signed body was, under any delivery id.

        ``X-GitHub-Delivery`` is not covered by the signature: a captured delivery replayed with a
        fresh id would otherwise be a new request. A ``SIGNED#<sha256 of the raw body>`` row is
        written in the same transaction (it has no ``queue``, so the sensor never sees it)."""
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
        put = {
            "TableName": self.table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if signed_sha256 is None:
            try:
                self.dynamodb.put_item(**put)
            except self.dynamodb.exceptions.ConditionalCheckFailedException:
                return False
            return True
        guard = {"pk": f"SIGNED#{signed_sha256}", "sk": "EVENT", "delivery_id": event.delivery_id}
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": put},
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item(guard),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except self.dynamodb.exceptions.TransactionCanceledException:
            return False
        return True

    def get(self, delivery_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table,
            Key=to_item({"pk": delivery_pk(delivery_id), "sk": "EVENT"}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None
