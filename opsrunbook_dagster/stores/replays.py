"""Replay request rows: ``REPLAY#{replay_id}`` in the incident-requests table, with their own queues.

A request waits on the ``replay-pending`` queue (a partition of the sparse ``pending-by-created``
index that incident rows never fill, so they cannot starve it), moves to ``replay-active`` once the
sensor has taken it, and leaves the index only at a terminal status. One replay per incident is in
flight at a time: a slot row (``INCIDENT#{id}`` / ``REPLAYSLOT``) is taken in the same transaction
as the request and released at the end (or taken over once ``SLOT_STALE_SECONDS`` old).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from contracts.canonical import format_datetime
from opsrunbook_dagster.stores.queue import queued
from opsrunbook_dagster.stores.serialization import from_item, to_item
from opsrunbook_dagster.stores.table_keys import REPLAY_SLOT_SK, REQUEST_SK, incident_key, replay_pk, row_key

PENDING_QUEUE = "replay-pending"
ACTIVE_QUEUE = "replay-active"
SLOT_STALE_SECONDS = 3600


def new_replay_id() -> str:
    return f"rp-{uuid.uuid4().hex[:12]}"


class ReplayInProgress(Exception):
    """Another replay of the incident is still in flight."""

    def __init__(self, incident_id: str, active_replay_id: str) -> None:
        super().__init__(f"replay {active_replay_id} of incident {incident_id} is still in progress")
        self.active_replay_id = active_replay_id


@dataclass(frozen=True)
class ReplayRow:
    replay_id: str
    incident_id: str
    status: str
    run_ids: list[str] | None
    raw: dict[str, Any]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> ReplayRow:
        run_ids = [str(r) for r in raw["run_ids"]] if raw.get("run_ids") else None
        return cls(str(raw["replay_id"]), str(raw["incident_id"]), str(raw.get("status", "")), run_ids, raw)


@dataclass
class ReplayStore:
    dynamodb: Any
    requests_table: str
    incidents_table: str

    def request(self, incident_id: str, run_ids: list[str] | None, now: datetime | None = None) -> ReplayRow:
        """Store a new request and take the incident's replay slot, both or neither."""
        moment = now or datetime.now(UTC)
        replay_id = new_replay_id()
        row = {
            **row_key(replay_pk(replay_id), REQUEST_SK),
            "kind": "replay",
            "replay_id": replay_id,
            "incident_id": incident_id,
            "run_ids": run_ids or None,
            "status": "REQUESTED",
            "queue": PENDING_QUEUE,
            "created_at": format_datetime(moment),
        }
        stale = format_datetime(moment - timedelta(seconds=SLOT_STALE_SECONDS))
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.requests_table,
                            "Item": to_item(row),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.incidents_table,
                            "Item": to_item(
                                {
                                    **incident_key(incident_id, REPLAY_SLOT_SK),
                                    "replay_id": replay_id,
                                    "taken_at": format_datetime(moment),
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk) OR taken_at < :stale",
                            "ExpressionAttributeValues": to_item({":stale": stale}),
                        }
                    },
                ]
            )
        except self.dynamodb.exceptions.TransactionCanceledException as exc:
            slot = self._slot(incident_id)
            if slot is None:
                raise
            raise ReplayInProgress(incident_id, str(slot.get("replay_id"))) from exc
        return ReplayRow.of(row)

    def _slot(self, incident_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.incidents_table,
            Key=to_item(incident_key(incident_id, REPLAY_SLOT_SK)),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def get(self, replay_id: str) -> ReplayRow | None:
        item = self.dynamodb.get_item(
            TableName=self.requests_table,
            Key=to_item(row_key(replay_pk(replay_id), REQUEST_SK)),
            ConsistentRead=True,
        ).get("Item")
        return ReplayRow.of(from_item(item)) if item else None

    def queued(self, queue: str, limit: int = 50) -> list[ReplayRow]:
        """Rows on ``queue`` (PENDING_QUEUE or ACTIVE_QUEUE), oldest first."""
        return [ReplayRow.of(raw) for raw in queued(self.dynamodb, self.requests_table, queue, limit)]

    def take(self, row: ReplayRow, run_ids: list[str]) -> bool:
        """REQUESTED → SCHEDULED on the active queue with the runs it covers; False when another
        tick took it first."""
        return self._set(
            row.replay_id,
            {"status": "SCHEDULED", "queue": ACTIVE_QUEUE, "run_ids": run_ids},
            "#s = :from",
            {":from": "REQUESTED"},
        )

    def finish(self, row: ReplayRow, status: str, reason: str) -> bool:
        """A terminal status: off every queue, and the incident's slot released."""
        done = self._set(
            row.replay_id,
            {"status": status, "reason": reason},
            "#s IN (:a, :b)",
            {":a": "REQUESTED", ":b": "SCHEDULED"},
            dequeue=True,
        )
        if done:
            try:
                self.dynamodb.delete_item(
                    TableName=self.incidents_table,
                    Key=to_item(incident_key(row.incident_id, REPLAY_SLOT_SK)),
                    ConditionExpression="replay_id = :id",
                    ExpressionAttributeValues=to_item({":id": row.replay_id}),
                )
            except self.dynamodb.exceptions.ConditionalCheckFailedException:
                pass  # the slot was taken over (stale) by a later replay: it is theirs now
        return done

    def _set(
        self,
        replay_id: str,
        values: dict[str, Any],
        condition: str,
        cond_values: dict[str, Any],
        dequeue: bool = False,
    ) -> bool:
        values = {**values, "updated_at": format_datetime(datetime.now(UTC))}
        names = {f"#k{i}": k for i, k in enumerate(sorted(values))}
        attrs = {f":v{i}": values[k] for i, k in enumerate(sorted(values))}
        expression = "SET " + ", ".join(f"#k{i} = :v{i}" for i in range(len(values)))
        if dequeue:
            expression += " REMOVE #q"
            names["#q"] = "queue"
        try:
            self.dynamodb.update_item(
                TableName=self.requests_table,
                Key=to_item(row_key(replay_pk(replay_id), REQUEST_SK)),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames={**names, "#s": "status"},
                ExpressionAttributeValues=to_item({**attrs, **cond_values}),
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True
