"""Heartbeats of the orchestrator's loops, kept beside the queue they drain.

The incident request sensor writes one row (``pk = HEARTBEAT#{name}``, ``sk = HEARTBEAT``) in the
incident-requests table every few seconds with what it saw (the oldest pending request's age). The
API's readiness reads it: a sensor that has not ticked recently means nothing is picking requests
up, whether the daemon died, the sensor was turned off or the code location failed to load. It is
kept in the table the API can already read, so it works the same locally and on Lambda.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.canonical import format_datetime
from opsrunbook_dagster.stores.serialization import from_item, to_item
from opsrunbook_dagster.stores.table_keys import HEARTBEAT_SK, heartbeat_pk, row_key


@dataclass(frozen=True)
class Heartbeat:
    name: str
    at: datetime
    facts: dict[str, Any]

    def age_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.at).total_seconds())


@dataclass
class HeartbeatStore:
    dynamodb: Any
    table: str

    def beat(self, name: str, at: datetime, **facts: Any) -> None:
        item = {**row_key(heartbeat_pk(name), HEARTBEAT_SK), "at": format_datetime(at), "name": name, **facts}
        self.dynamodb.put_item(TableName=self.table, Item=to_item(item))

    def last(self, name: str) -> Heartbeat | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key=to_item(row_key(heartbeat_pk(name), HEARTBEAT_SK)), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        raw = from_item(item)
        at = datetime.fromisoformat(str(raw.pop("at")).replace("Z", "+00:00")).astimezone(UTC)
        facts = {k: v for k, v in raw.items() if k not in ("pk", "sk", "name")}
        return Heartbeat(name=name, at=at, facts=facts)
