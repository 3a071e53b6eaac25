"""Listing incidents newest first from a sparse global secondary index over META rows.

Every incident's ``META`` row carries ``listing = "INCIDENT"`` and ``listed_at =
"<created_at, fixed width>#<incident_id>"``; no other row has ``listing``, so the index
``INCIDENT_LIST_INDEX`` holds exactly one entry per incident. A list is one ``Query`` on that
index partition in descending ``listed_at`` order (``since`` is a key condition); status, service
and environment are ``FilterExpression``\\s, so a DynamoDB page may hold fewer matches than it
read. The page therefore ends at the last row *returned* (its key becomes the cursor), never at a
row that was read but not returned, and reading stops after ``MAX_EVALUATED`` rows (a short page
with a cursor) so a rare status cannot turn one request into a walk of the whole index.

``created_at`` never changes once written (``if_not_exists``), so an incident keeps its place
while later runs update its status: pages neither repeat nor skip rows. One partition
(``listing``) takes every META write: incidents arrive at a few per minute, far below a
partition's 1,000 writes/s; shard it by month if that ever changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opsrunbook_dagster.stores.serialization import from_item, to_item
from opsrunbook_dagster.stores.table_keys import META_SK, incident_pk, row_key

LISTING_PARTITION = "INCIDENT"
#: The index on the incidents table, as CreateTable/CloudFormation take it: carry this over as is.
INCIDENT_LIST_INDEX: dict[str, Any] = {
    "IndexName": "incidents-by-created",
    "KeySchema": [
        {"AttributeName": "listing", "KeyType": "HASH"},
        {"AttributeName": "listed_at", "KeyType": "RANGE"},
    ],
    "Projection": {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": [
            "created_at",
            "environment",
            "latest_run_id",
            "reason",
            "service",
            "severity",
            "status",
            "title",
            "updated_at",
        ],
    },
}
#: The attribute definitions the index adds to the table's.
INCIDENT_LIST_ATTRIBUTES = [
    {"AttributeName": "listing", "AttributeType": "S"},
    {"AttributeName": "listed_at", "AttributeType": "S"},
]
#: A cursor is the key of the last row returned: the table key plus the index key.
CURSOR_KEY_ATTRIBUTES = frozenset({"pk", "sk", "listing", "listed_at"})
MAX_EVALUATED = 1000


def listed_at(created_at: str, incident_id: str) -> str:
    """Sort key: fixed-width UTC time (ISO strings with and without fractions do not sort as text)."""
    moment = datetime.fromisoformat(created_at.replace("Z", "+00:00")).astimezone(UTC)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{incident_id}"


def since_key(since: datetime) -> str:
    """Lower bound of ``listed_at`` for incidents created at or after ``since``."""
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ListFilters:
    status: str | None = None
    service: str | None = None
    environment: str | None = None
    since: datetime | None = None

    def as_strings(self) -> dict[str, str | None]:
        return {
            "status": self.status,
            "service": self.service,
            "environment": self.environment,
            "since": since_key(self.since) if self.since else None,
        }


@dataclass(frozen=True)
class IncidentPage:
    rows: list[dict[str, Any]]
    #: Key to pass as ``start`` for the next page; None on the last page.
    next_key: dict[str, str] | None


def _query_args(table: str, filters: ListFilters) -> dict[str, Any]:
    names = {"#l": "listing"}
    values: dict[str, Any] = {":l": LISTING_PARTITION}
    condition = "#l = :l"
    if filters.since is not None:
        condition += " AND #a >= :since"
        names["#a"] = "listed_at"
        values[":since"] = since_key(filters.since)
    clauses = []
    for attribute in ("status", "service", "environment"):
        value = getattr(filters, attribute)
        if value is not None:
            names[f"#{attribute}"] = attribute
            values[f":{attribute}"] = value
            clauses.append(f"#{attribute} = :{attribute}")
    args: dict[str, Any] = {
        "TableName": table,
        "IndexName": INCIDENT_LIST_INDEX["IndexName"],
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_item(values),
        "ScanIndexForward": False,
    }
    if clauses:
        args["FilterExpression"] = " AND ".join(clauses)
    return args


def backfill_listing(dynamodb: Any, table: str) -> int:
    """Give META rows written before the index existed their index attributes; returns how many.
    A one-off scan (the only one: run once when the index is added), conditional per row so it
    never overwrites a row that got them meanwhile."""
    updated = 0
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="sk = :meta AND attribute_not_exists(listing) AND attribute_exists(created_at)",
        ExpressionAttributeValues=to_item({":meta": META_SK}),
    ):
        for item in page.get("Items", []):
            row = from_item(item)
            incident_id = incident_pk.id_of(str(row["pk"]))
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key=to_item(row_key(str(row["pk"]), META_SK)),
                    UpdateExpression="SET listing = :l, listed_at = :a",
                    ConditionExpression="attribute_not_exists(listing)",
                    ExpressionAttributeValues=to_item(
                        {":l": LISTING_PARTITION, ":a": listed_at(str(row["created_at"]), incident_id)}
                    ),
                )
            except dynamodb.exceptions.ConditionalCheckFailedException:
                continue
            updated += 1
    return updated


def _cursor_key(row: dict[str, Any]) -> dict[str, str]:
    return {name: str(row[name]) for name in sorted(CURSOR_KEY_ATTRIBUTES)}


def list_incidents(
    dynamodb: Any, table: str, filters: ListFilters, limit: int, start: dict[str, str] | None = None
) -> IncidentPage:
    """Up to ``limit`` META rows matching ``filters``, newest first, starting after ``start``."""
    args = _query_args(table, filters)
    filtered = "FilterExpression" in args
    rows: list[dict[str, Any]] = []
    evaluated = 0
    while True:
        wanted = limit - len(rows)
        # One more than needed tells "last page" from "more to come" without an empty extra page.
        request = {**args, "Limit": max(wanted + 1, 100) if filtered else wanted + 1}
        if start is not None:
            request["ExclusiveStartKey"] = to_item(start)
        response = dynamodb.query(**request)
        evaluated += int(response.get("ScannedCount", 0))
        items = [from_item(i) for i in response.get("Items", [])]
        if len(items) > wanted:
            rows.extend(items[:wanted])
            return IncidentPage(rows, _cursor_key(rows[-1]))
        rows.extend(items)
        last = response.get("LastEvaluatedKey")
        if last is None:
            return IncidentPage(rows, None)
        start = {k: str(v) for k, v in from_item(last).items()}
        if len(rows) == limit or evaluated >= MAX_EVALUATED:
            return IncidentPage(rows, start)
