"""The request queues: rows carrying a ``queue`` attribute sit in the sparse ``pending-by-created``
index of their table, one index partition per queue (incident requests ``pending``, GitHub
deliveries ``pending`` in their own table, replays ``replay-pending``/``replay-active``), oldest
first. A row leaves its queue when ``queue`` is removed."""

from __future__ import annotations

from typing import Any

from opsrunbook_dagster.stores.serialization import from_item, to_item

PENDING_INDEX = "pending-by-created"


def queued(dynamodb: Any, table: str, queue: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` rows waiting on ``queue``, oldest first."""
    response = dynamodb.query(
        TableName=table,
        IndexName=PENDING_INDEX,
        KeyConditionExpression="#q = :q",
        ExpressionAttributeNames={"#q": "queue"},
        ExpressionAttributeValues=to_item({":q": queue}),
        Limit=limit,
        ScanIndexForward=True,
    )
    return [from_item(item) for item in response.get("Items", [])]
