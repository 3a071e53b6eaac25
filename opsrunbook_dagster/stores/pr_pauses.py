"""``/opsrunbook stop`` per pull request, kept until ``/opsrunbook resume`` (pr-review-requests table).

One row per PR, ``PAUSE#<owner/name>#<number>`` / ``STATE``, without a ``queue`` attribute (the
sensor never sees it). Later suggestions on a stopped PR are planned as ``pause``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.canonical import format_datetime
from opsrunbook_dagster.stores.serialization import from_item, to_item
from opsrunbook_dagster.stores.table_keys import PAUSE_SK, pause_pk, row_key


def pause_key(repo: str, pr_number: int) -> dict[str, Any]:
    return row_key(pause_pk(repo, pr_number), PAUSE_SK)


@dataclass
class PRPauseStore:
    dynamodb: Any
    table: str

    def is_stopped(self, repo: str, pr_number: int) -> bool:
        item = self.dynamodb.get_item(
            TableName=self.table, Key=to_item(pause_key(repo, pr_number)), ConsistentRead=True
        ).get("Item")
        return bool(item) and bool(from_item(item).get("stopped"))

    def set(self, repo: str, pr_number: int, *, stopped: bool, by: str, delivery_id: str) -> None:
        """Record a stop or a resume (the latest command processed wins)."""
        item = {
            **pause_key(repo, pr_number),
            "stopped": stopped,
            "by": by,
            "delivery_id": delivery_id,
            "updated_at": format_datetime(datetime.now(UTC)),
        }
        self.dynamodb.put_item(TableName=self.table, Item=to_item(item))
