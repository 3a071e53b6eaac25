"""The incident-requests table: what callers submit and the sensor picks up.

Rows waiting for the sensor carry ``queue = "pending"`` and so appear in the sparse
``pending-by-created`` index; a row leaves the index when its run starts or it is rejected.
The sensor reads the index instead of a timestamp cursor, so no clock skew can skip a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.canonical import canonical_json, format_datetime, sha256_hex
from contracts.ids import partition_key
from contracts.incident_event import IncidentEventV1
from opsrunbook_dagster.stores.incident_listing import LISTING_PARTITION, listed_at
from opsrunbook_dagster.stores.queue import PENDING_INDEX, queued
from opsrunbook_dagster.stores.resubmission import PENDING, resubmit
from opsrunbook_dagster.stores.run_status import RESUBMITTABLE, allowed_from
from opsrunbook_dagster.stores.serialization import from_item, projection, to_item
from opsrunbook_dagster.stores.table_keys import META_SK, REQUEST_SK, event_pk, incident_key, row_key, run_sk

__all__ = ["PENDING", "PENDING_INDEX", "RequestRow", "RequestStore", "SubmitOutcome", "from_item", "to_item"]


@dataclass(frozen=True)
class RequestRow:
    pk: str
    status: str
    created_at: str
    raw: dict[str, Any]

    @property
    def body(self) -> str:
        return str(self.raw.get("body", ""))

    @property
    def kind(self) -> str:
        return str(self.raw.get("kind", "collect"))

    @property
    def submission(self) -> int:
        """1 for the first submission; n when the request was resubmitted after a failed attempt."""
        return int(self.raw.get("submission") or 1)


@dataclass(frozen=True)
class SubmitOutcome:
    created: bool
    conflict: bool
    incident_id: str
    run_id: str
    status: str
    #: True when the same request came again after its run FAILED or was CANCELED: a new attempt.
    resubmitted: bool = False


@dataclass
class RequestStore:
    dynamodb: Any
    requests_table: str
    incidents_table: str
    #: Sort key of queued rows (``REQUEST_SK`` here; ``DeliveryStore`` has its own).
    row_sk: str = REQUEST_SK

    def submit(self, event: IncidentEventV1, now: datetime | None = None) -> SubmitOutcome:
        """Idempotent on ``event_id``: request row + incident META/RUN rows, all or nothing."""
        moment = format_datetime(now or datetime.now(UTC))
        body = canonical_json(event).decode("utf-8")
        digest = sha256_hex(body.encode("utf-8"))
        incident_id, run_id = event.resolved_incident_id, event.run_id
        key = partition_key(incident_id, run_id)
        request_item = {
            **row_key(event_pk(event.event_id), REQUEST_SK),
            "kind": "collect",
            "event_id": event.event_id,
            "incident_id": incident_id,
            "run_id": run_id,
            "partition_key": key,
            "status": "REQUESTED",
            "queue": PENDING,
            "created_at": moment,
            "body": body,
            "body_sha256": digest,
        }
        run_item = {
            **incident_key(incident_id, run_sk(run_id)),
            "run_id": run_id,
            "event_id": event.event_id,
            "partition_key": key,
            "status": "REQUESTED",
            "created_at": moment,
            "updated_at": moment,
            "request_body": body,
        }
        try:
            self.dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.requests_table,
                            "Item": to_item(request_item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self.incidents_table, "Item": to_item(run_item)}},
                    {"Update": self._meta_update(event, incident_id, run_id, moment)},
                ]
            )
        except self.dynamodb.exceptions.TransactionCanceledException:
            existing = self.request(event.event_id)
            if existing is None:
                raise
            same = existing.raw.get("body_sha256") == digest
            if same and existing.status in RESUBMITTABLE and resubmit(self, existing, moment):
                return SubmitOutcome(
                    created=True,
                    conflict=False,
                    incident_id=incident_id,
                    run_id=run_id,
                    status="REQUESTED",
                    resubmitted=True,
                )
            return SubmitOutcome(
                created=False,
                conflict=not same,
                incident_id=str(existing.raw.get("incident_id")),
                run_id=str(existing.raw.get("run_id")),
                status=existing.status,
            )
        return SubmitOutcome(
            created=True, conflict=False, incident_id=incident_id, run_id=run_id, status="REQUESTED"
        )

    def _meta_update(
        self, event: IncidentEventV1, incident_id: str, run_id: str, moment: str
    ) -> dict[str, Any]:
        return {
            "TableName": self.incidents_table,
            "Key": to_item(incident_key(incident_id, META_SK)),
            "UpdateExpression": (
                "SET created_at = if_not_exists(created_at, :now), updated_at = :now, service = :service, "
                "environment = :env, severity = :sev, latest_run_id = :run, #s = :status, title = :title, "
                "listing = :listing, listed_at = if_not_exists(listed_at, :listed)"
            ),
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": to_item(
                {
                    ":now": moment,
                    ":service": event.service,
                    ":env": event.environment,
                    ":sev": event.severity.value,
                    ":run": run_id,
                    ":status": "REQUESTED",
                    ":title": event.title or "",
                    ":listing": LISTING_PARTITION,
                    ":listed": listed_at(moment, incident_id),
                }
            ),
        }

    def get(self, pk: str, fields: tuple[str, ...] | None = None) -> RequestRow | None:
        """The row (only ``fields`` when given: the stored request body is up to 256 KB)."""
        item = self.dynamodb.get_item(
            TableName=self.requests_table,
            Key=to_item(row_key(pk, self.row_sk)),
            ConsistentRead=True,
            **projection(fields),
        ).get("Item")
        if not item:
            return None
        raw = from_item(item)
        return RequestRow(
            pk=pk, status=str(raw.get("status", "")), created_at=str(raw.get("created_at", "")), raw=raw
        )

    def request(self, event_id: str, fields: tuple[str, ...] | None = None) -> RequestRow | None:
        """The incident request row of ``event_id``."""
        return self.get(event_pk(event_id), fields)

    def pending(self, limit: int = 100) -> list[RequestRow]:
        """Rows waiting for the sensor, oldest first."""
        return [
            RequestRow(
                pk=str(raw["pk"]),
                status=str(raw.get("status", "")),
                created_at=str(raw.get("created_at", "")),
                raw=raw,
            )
            for raw in queued(self.dynamodb, self.requests_table, PENDING, limit)
        ]

    def reclaim(self, pk: str, seen: str | None, now: datetime, *, stale_after_seconds: float) -> bool:
        """Re-take a SCHEDULED row whose run never appeared, once ``stale_after_seconds`` have passed
        since ``seen`` (its ``scheduled_at``); conditional on nobody having re-taken it since."""
        if seen is not None:
            age = (now - datetime.fromisoformat(seen.replace("Z", "+00:00"))).total_seconds()
            if age < stale_after_seconds:
                return False
        condition = "#s = :scheduled AND " + (
            "scheduled_at = :seen" if seen is not None else "attribute_not_exists(scheduled_at)"
        )
        values = {
            ":scheduled": "SCHEDULED",
            ":now": format_datetime(now),
            **({":seen": seen} if seen else {}),
        }
        try:
            self.dynamodb.update_item(
                TableName=self.requests_table,
                Key=to_item(row_key(pk, self.row_sk)),
                UpdateExpression="SET scheduled_at = :now, updated_at = :now",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(values),
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def transition(
        self,
        pk: str,
        *,
        from_status: str | None,
        to_status: str,
        dequeue: bool,
        forward_only: bool = False,
        **extra: Any,
    ) -> bool:
        """Conditional status change; False when the row was not in ``from_status``."""
        names = {"#s": "status"}
        values: dict[str, Any] = {":to": to_status, ":now": format_datetime(datetime.now(UTC))}
        sets = ["#s = :to", "updated_at = :now"]
        for index, (name, value) in enumerate(sorted(extra.items())):
            names[f"#e{index}"] = name
            values[f":e{index}"] = value
            sets.append(f"#e{index} = :e{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE #q" if dequeue else "")
        if dequeue:
            names["#q"] = "queue"
        condition = "attribute_exists(pk)"
        if from_status is not None:
            condition += " AND #s = :from"
            values[":from"] = from_status
        elif forward_only:
            earlier = sorted(allowed_from(to_status))
            values.update({f":p{i}": s for i, s in enumerate(earlier)})
            condition += (
                f" AND #s IN ({', '.join(f':p{i}' for i in range(len(earlier)))})"
                if earlier
                else " AND #s = :to"
            )
        try:
            self.dynamodb.update_item(
                TableName=self.requests_table,
                Key=to_item(row_key(pk, self.row_sk)),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False
        return True
