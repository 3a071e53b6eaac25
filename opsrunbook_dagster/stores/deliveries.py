"""GitHub deliveries: one row per delivery id in the pr-review-requests table, written at most once,
queued for the PR review sensor with the same mechanics as incident requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.canonical import canonical_json, format_datetime, sha256_hex
from contracts.github import GitHubPRReviewEventV1
from opsrunbook_dagster.stores.requests_table import PENDING, RequestRow, RequestStore
from opsrunbook_dagster.stores.serialization import to_item
from opsrunbook_dagster.stores.table_keys import DELIVERY_SK, delivery_pk, row_key, signed_body_pk


@dataclass
class DeliveryStore(RequestStore):
    row_sk: str = DELIVERY_SK

    def record(self, event: GitHubPRReviewEventV1, signed_sha256: str | None = None) -> bool:
        """Store the normalized event for the sensor; False if this delivery id was already stored,
        or (``signed_sha256``) the same signed body was, under any delivery id.

        ``X-GitHub-Delivery`` is not covered by the signature: a captured delivery replayed with a
        fresh id would otherwise be a new request. A ``signed_body_pk`` row is written in the same
        transaction (it has no ``queue``, so the sensor never sees it)."""
        body = canonical_json(event).decode("utf-8")
        item = {
            **row_key(delivery_pk(event.delivery_id), DELIVERY_SK),
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
            "TableName": self.requests_table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if signed_sha256 is None:
            try:
                self.dynamodb.put_item(**put)
            except self.dynamodb.exceptions.ConditionalCheckFailedException:
                return False
            return True
        guard = {**row_key(signed_body_pk(signed_sha256), DELIVERY_SK), "delivery_id": event.delivery_id}
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": put},
                    {
                        "Put": {
                            "TableName": self.requests_table,
                            "Item": to_item(guard),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except self.dynamodb.exceptions.TransactionCanceledException:
            return False
        return True

    def delivery(self, delivery_id: str) -> RequestRow | None:
        """The stored row of one delivery."""
        return self.get(delivery_pk(delivery_id))

    def forward(self, delivery_id: str, status: str, **extra: object) -> bool:
        """Move the delivery's row forward to ``status`` (and off the queue)."""
        return self.transition(
            delivery_pk(delivery_id),
            from_status=None,
            to_status=status,
            dequeue=True,
            forward_only=True,
            **extra,
        )
